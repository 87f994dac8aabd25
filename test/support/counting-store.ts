import { ExpressSessionStore } from '../../src/express/index.js';

/** An ExpressSessionStore that counts what the middleware asks of it, and what touch answered. */
export class CountingStore extends ExpressSessionStore {
  sets = 0;
  /** Whether each touch wrote the row, in call order. */
  readonly touches: boolean[] = [];

  override set(...args: Parameters<ExpressSessionStore['set']>) {
    this.sets++;
    return super.set(...args);
  }

  override touch(...args: Parameters<ExpressSessionStore['touch']>) {
    const result = super.touch(...args);
    // Recorded before the middleware's callback runs (that waits for the next tick).
    result.then(
      (written) => this.touches.push(written),
      () => {},
    );
    return result;
  }
}
