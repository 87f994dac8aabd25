/**
 * A process that holds a PGlite folder, for the tests of the folder lock. Run with
 * `node --import tsx test/support/hold-pglite.ts MODE FOLDER`:
 * - `open`: opens the folder through openDatabase (as the CLI and the demo do) and applies
 *   the shipped migration;
 * - `lock` or `lock-file`: waits for a line on stdin (so that several processes can be
 *   started first and then told to go at one instant), then takes only the folder lock, on
 *   this platform's address or on the socket file that macOS uses.
 * It prints `holding` or `refused: <message>`, then holds until its stdin closes.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { openDatabase } from '../../src/cli/database.js';
import { folderIdentity, lockAddress, lockFolder } from '../../src/cli/folder-lock.js';

const [mode, folder] = process.argv.slice(2) as [string, string];
const lines = createInterface({ input: process.stdin });

async function take(): Promise<() => Promise<void>> {
  if (mode === 'open') {
    const database = await openDatabase({ pgliteDir: folder });
    await database.migrate();
    return () => database.close();
  }
  console.log('ready');
  await once(lines, 'line');
  const address = mode === 'lock-file' ? lockAddress(await folderIdentity(folder), 'darwin') : undefined;
  const lock = await lockFolder(folder, address);
  return () => lock.release();
}

try {
  const release = await take();
  console.log('holding');
  await once(lines, 'close');
  await release();
} catch (error) {
  console.log(`refused: ${(error as Error).message}`);
  process.exitCode = 1;
}
