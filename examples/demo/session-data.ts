// What the demo keeps in a session; express-session types req.session from this. Optional,
// because the augmentation reaches every file in the project and other sessions hold other things.
declare module 'express-session' {
  interface SessionData {
    /** The name the visitor signed in with. */
    name?: string;
    /** Pages of the home page served to this session since sign-in. */
    visits?: number;
    /** The synchronizer token the session's forms must send back (form-token.ts). */
    formToken?: string;
  }
}

export {};
