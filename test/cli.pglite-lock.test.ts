import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../src/cli/database.js';
import { folderIdentity, FolderInUseError, lockAddress } from '../src/cli/folder-lock.js';
import { oneLine, runCli } from './support/cli.js';
import { DemoVisitor, startDemo, type DemoProcess } from './support/demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A child process running test/support/hold-pglite.ts, read line by line. */
class Holder {
  readonly child: ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly exited: Promise<unknown>;

  constructor(mode: 'open' | 'lock' | 'lock-file', folder: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-pglite.ts', mode, folder], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
    this.exited = once(this.child, 'exit');
  }

  /** The next line it prints. */
  async line(): Promise<string> {
    const next = await this.#lines.next();
    if (next.done) throw new Error('the holder ended without a word');
    return next.value;
  }

  /** Tells it to go (in the lock modes) or to release and end (once it holds). */
  say(text = 'go'): void {
    this.child.stdin!.write(`${text}\n`);
  }

  async release(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}

const inUse = (folder: string) =>
  new RegExp(`the PGlite folder ${folder.replaceAll('/', '\\/')} is in use by another process \\(pid \\d+\\), and PGlite lets one process at a time open a folder: stop that process and run this again`);

let parent: string;
const started: Array<{ stop(): Promise<unknown> }> = [];
beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'pgstore-lock-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((process) => process.stop()));
});
afterAll(() => rm(parent, { recursive: true, force: true }));

const folderOfItsOwn = async (name: string) => {
  const folder = join(parent, name);
  await mkdir(folder);
  return folder;
};

const hold = async (mode: 'open' | 'lock' | 'lock-file', folder: string) => {
  const holder = new Holder(mode, folder);
  started.push({ stop: () => holder.release() });
  return holder;
};

describe('a PGlite folder is one process’s at a time', () => {
  it('the CLI refuses a folder another process holds, naming it and the holder, and works once it is let go', async () => {
    const folder = join(parent, 'held');
    const holder = await hold('open', folder);
    expect(await holder.line()).toBe('holding');
    for (const command of ['stats', 'cleanup', 'migrate']) {
      const result = await runCli([command, '--pglite', folder]);
      expect(result.code, command).toBe(1);
      const line = oneLine(result);
      expect(line).toMatch(inUse(folder));
      expect(line).toContain(`(pid ${holder.child.pid})`);
    }
    await holder.release();
    const stats = await runCli(['stats', '--pglite', folder]);
    expect(stats).toMatchObject({ code: 0, stderr: '' });
  });

  it('a holder killed with SIGKILL leaves the folder usable', async () => {
    const folder = join(parent, 'killed');
    const holder = await hold('open', folder);
    expect(await holder.line()).toBe('holding');
    holder.child.kill('SIGKILL');
    await holder.exited;
    const stats = await runCli(['stats', '--pglite', folder, '--json']);
    expect(stats).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(stats.stdout)).toMatchObject({ live: 0, expired: 0 });
  });

  it.each(['lock', 'lock-file'] as const)('of processes that take it at one instant, one gets it (%s)', async (mode) => {
    const folder = await folderOfItsOwn(`race-${mode}`);
    const holders = await Promise.all(Array.from({ length: 4 }, () => hold(mode, folder)));
    for (const holder of holders) expect(await holder.line()).toBe('ready');
    for (const holder of holders) holder.say();
    const words = await Promise.all(holders.map((holder) => holder.line()));
    expect(words.filter((word) => word === 'holding')).toHaveLength(1);
    for (const word of words.filter((word) => word !== 'holding')) expect(word).toMatch(inUse(folder));
  });

  it('the socket files that macOS uses: one a SIGKILLed holder left is passed over, and one of the next processes takes the lock', async () => {
    const folder = await folderOfItsOwn('killed-file');
    const address = lockAddress(await folderIdentity(folder), 'darwin');
    if (!('files' in address)) throw new Error('expected socket files');
    onTestFinished(() => rm(`${address.files}.0.sock`, { force: true }));
    const killed = await hold('lock-file', folder);
    expect(await killed.line()).toBe('ready');
    killed.say();
    expect(await killed.line()).toBe('holding');
    killed.child.kill('SIGKILL');
    await killed.exited;
    const next = await Promise.all([hold('lock-file', folder), hold('lock-file', folder)]);
    for (const holder of next) expect(await holder.line()).toBe('ready');
    for (const holder of next) holder.say();
    const words = await Promise.all(next.map((holder) => holder.line()));
    expect(words.sort()).toEqual(['holding', expect.stringMatching(inUse(folder))]);
    await Promise.all(next.map((holder) => holder.release()));
    // The dead one stays (nobody removes another's file); the live one went with its holder.
    await expect(stat(`${address.files}.0.sock`)).resolves.toBeTruthy();
    await expect(stat(`${address.files}.1.sock`)).rejects.toThrow(/ENOENT/);
  });

  it('is held within one process too, and released by close()', async () => {
    const folder = join(parent, 'in-process');
    const first = await openDatabase({ pgliteDir: folder });
    const second = openDatabase({ pgliteDir: folder });
    await expect(second).rejects.toThrow(FolderInUseError);
    await expect(second).rejects.toThrow(/is in use by this process/);
    await first.close();
    const again = await openDatabase({ pgliteDir: folder });
    await again.close();
  });
});

describe('the demo holds its PGlite folder', () => {
  const startTracked = async (env: Record<string, string>): Promise<DemoProcess> => {
    const demo = await startDemo(env);
    started.push({ stop: () => demo.stop() });
    return demo;
  };

  it('a second demo on the same DEMO_DATA_DIR, on another port or the same, stops before touching it', async () => {
    const dataDir = join(parent, 'demo');
    const folder = join(dataDir, 'pglite');
    const first = await startTracked({ DEMO_DATA_DIR: dataDir });
    const visitor = new DemoVisitor(first.url);
    await visitor.signIn('first');
    expect(await visitor.visits()).toBe(1);

    const port = new URL(first.url).port;
    for (const env of [{ DEMO_DATA_DIR: dataDir }, { DEMO_DATA_DIR: dataDir, PORT: port }]) {
      const second = startTracked(env);
      await expect(second).rejects.toThrow(/exited \(1\) before serving:\ndemo: the PGlite folder /);
      await expect(second).rejects.toThrow(inUse(folder));
    }
    // The CLI beside the running demo is refused too.
    expect(oneLine(await runCli(['stats', '--pglite', folder]))).toMatch(inUse(folder));

    // The first demo never noticed; what it wrote is there once it stops.
    expect(await visitor.visits()).toBe(2);
    expect(await first.stop()).toEqual({ code: 0, killed: false });
    const stats = await runCli(['stats', '--pglite', folder, '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ live: 1 });
  });
});
