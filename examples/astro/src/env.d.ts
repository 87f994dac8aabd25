/// <reference types="astro/client" />

// What this app keeps in a session: Astro.session.get('user') is a string | undefined.
declare namespace App {
  interface SessionData {
    user: string;
    cart: string[];
  }
}
