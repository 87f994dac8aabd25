import { describe, expect, it } from 'vitest';
import { MemoryStore } from './support/memory-store.js';

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000);

// The in-memory SessionStore the adapter suites also run on keeps PGStore's semantics.
describe('MemoryStore, the second SessionStore', () => {
  it('keeps copies of the bytes: changing an array handed in or out changes nothing stored', async () => {
    const store = new MemoryStore();
    const data = new Uint8Array([1, 2, 3]);
    await store.save('t', data, inSeconds(60));
    data[0] = 9;
    const found = (await store.find('t'))!;
    found[1] = 9;
    expect([...(await store.find('t'))!]).toEqual([1, 2, 3]);
    expect([...(await store.all()).get('t')!]).toEqual([1, 2, 3]);
  });

  it('reads an expired session as none, and neither touches nor counts it', async () => {
    const store = new MemoryStore();
    await store.save('gone', new Uint8Array([1]), new Date(Date.now() - 1));
    expect(await store.find('gone')).toBeNull();
    expect(await store.findWithExpiry('gone')).toBeNull();
    expect(await store.touch('gone', inSeconds(60))).toBe(false);
    expect(await store.find('gone')).toBeNull();
    expect([await store.count(), await store.tokens()]).toEqual([0, []]);
  });

  it('touches only when the expiry moves by more than minChange, and never makes a session', async () => {
    const store = new MemoryStore();
    const expiry = inSeconds(3600);
    await store.save('t', new Uint8Array([1]), expiry);
    const by = (ms: number) => new Date(expiry.getTime() + ms);
    expect(await store.touch('t', by(60_000), { minChange: 60_000 })).toBe(false);
    expect(await store.touch('t', by(60_001), { minChange: 60_000 })).toBe(true);
    expect((await store.findWithExpiry('t'))?.expiry).toEqual(by(60_001));
    expect(await store.touch('never-saved', inSeconds(60))).toBe(false);
    expect(await store.count()).toBe(1);
  });
});
