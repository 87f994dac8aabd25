import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A folder that another live process holds. PGlite keeps no lock of its own: two processes
 * on one folder each write over the other's pages.
 */
export class FolderInUseError extends Error {
  override readonly name = 'FolderInUseError';

  /** @param holderPid the holder's process id, when it answered in time */
  constructor(folder: string, holderPid: number | undefined) {
    const holder = holderPid === undefined ? 'another process' : holderPid === process.pid ? 'this process' : `another process (pid ${holderPid})`;
    super(
      `the PGlite folder ${folder} is in use by ${holder}, and PGlite lets one process at a time open a folder: ` +
        'stop that process and run this again, or give this one a folder of its own; processes that share sessions need PostgreSQL (DATABASE_URL)',
    );
  }
}

/** A folder this process holds until it releases it or exits. */
export interface FolderLock {
  release(): Promise<void>;
}

/**
 * Where a folder's lock lives: local socket addresses derived from the folder's identity.
 * A `kernel` address is freed by the kernel the moment its process ends, however it ends.
 * A `files` address is a series of socket files, `<prefix>.0.sock`, `.1.sock`, …, which a
 * process that crashed leaves behind.
 */
type LockAddress = { kernel: string } | { files: string };

/**
 * The lock address of the folder with identity `id`: Linux's abstract sockets and Windows'
 * named pipes where there are some (one process at a time may listen on each, and the
 * kernel frees them with their process); socket files in the temporary folder elsewhere
 * (macOS). The name is short: macOS allows 103 bytes for a socket file's path.
 */
export function lockAddress(id: string, platform: NodeJS.Platform = process.platform): LockAddress {
  const name = `drizzle-pgstore-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
  if (platform === 'linux') return { kernel: `\0${name}` };
  if (platform === 'win32') return { kernel: `\\\\.\\pipe\\${name}` };
  return { files: join(tmpdir(), name) };
}

/** The folder's device and inode: the same however the path is spelt, through links or mounts. */
export async function folderIdentity(folder: string): Promise<string> {
  const { dev, ino } = await stat(folder, { bigint: true });
  return `${dev}:${ino}`;
}

/** Listens on `path`; false when another socket is there already. */
const listen = (server: Server, path: string) =>
  new Promise<boolean>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error));
    server.once('error', failed);
    // exclusive: in a cluster worker, a listen would otherwise be shared through the primary.
    server.listen({ path, exclusive: true }, () => {
      server.off('error', failed);
      resolve(true);
    });
  });

/**
 * Asks the holder at `path` for its process id. `'dead'` when its process is gone (the
 * socket file is left), `'released'` when the file went away meanwhile, `undefined` when
 * a holder did not say in time (it still holds the lock).
 */
function askHolder(path: string): Promise<number | undefined | 'dead' | 'released'> {
  return new Promise((resolve) => {
    let said = '';
    const socket = createConnection(path);
    // A holder busy in PGlite's synchronous work may answer late; it still holds the folder.
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => (said += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' ? 'dead' : error.code === 'ENOENT' ? 'released' : undefined);
    });
    socket.on('close', () => resolve(/^\d+\n$/.test(said) ? Number(said) : undefined));
  });
}

/**
 * Asks again while the holder seems dead: a process that has just bound the file but not yet
 * listened on it refuses connections too, for as long as it is held up between the two calls.
 */
async function askHolderPatiently(path: string): Promise<Awaited<ReturnType<typeof askHolder>>> {
  for (let attempt = 1; ; attempt++) {
    const holder = await askHolder(path);
    if (holder !== 'dead' || attempt === DEAD_CONFIRMATIONS) return holder;
    await sleep(DEAD_RECHECK_MS);
  }
}

const DEAD_CONFIRMATIONS = 4;
const DEAD_RECHECK_MS = 100;

/** More socket files left by crashes than this is a folder to clean by hand. */
const MAX_DEAD_FILES = 1000;

/**
 * Listens on the first socket file of the series that no live process holds. Nothing ever
 * removes another process's file (two processes clearing a dead one at the same instant
 * could both take the lock): a dead one is passed over for the next, and each holder
 * removes only its own, on close. So each file is bound at most once while it exists, and
 * only a file that no longer exists can be bound again.
 */
async function listenOnFiles(server: Server, folder: string, prefix: string): Promise<void> {
  for (let n = 0; n < MAX_DEAD_FILES; ) {
    const path = `${prefix}.${n}.sock`;
    if (await listen(server, path)) return;
    const holder = await askHolderPatiently(path);
    if (holder === 'dead') n++;
    else if (holder !== 'released') throw new FolderInUseError(folder, holder);
  }
  throw new Error(`cannot lock ${folder}: ${MAX_DEAD_FILES} lock files of crashed processes are in the way; delete ${prefix}.*.sock`);
}

/**
 * Takes the lock of `folder` (which must exist) for this process, or throws
 * {@link FolderInUseError} when another live process holds it. The lock goes on
 * `release()` and when the process ends, whether it exits or is killed.
 */
export async function lockFolder(folder: string, address?: LockAddress): Promise<FolderLock> {
  const where = address ?? lockAddress(await folderIdentity(folder));
  // Whoever asks who holds the folder is told this process's id.
  const server = createServer((socket) => socket.end(`${process.pid}\n`));
  if ('files' in where) {
    await listenOnFiles(server, folder, where.files);
  } else if (!(await listen(server, where.kernel))) {
    const holder = await askHolder(where.kernel);
    throw new FolderInUseError(folder, typeof holder === 'number' ? holder : undefined);
  }
  // The lock must not keep the process alive: it ends with the process.
  server.unref();
  let released: Promise<void> | undefined;
  return {
    // Closing removes a socket file before it stops listening, so nobody takes it for dead.
    release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}
