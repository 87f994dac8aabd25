import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository this test run belongs to. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A tarball made by `npm pack`, and the paths it holds (relative to the package root). */
export interface PackedPackage {
  tarball: string;
  files: string[];
}

/**
 * Packs the package the way npm does for a git or path dependency: from a checkout that
 * has what git has (the tracked files, none of `dist/`) plus the dev dependencies, so the
 * tarball holds only what `prepack` built and `files` lets through. The repository's own
 * `dist/` is left alone, as other tests read it meanwhile.
 */
export async function packFromCheckout(workDir: string): Promise<PackedPackage> {
  const checkout = join(workDir, 'checkout');
  // Tracked files and new ones not ignored: a clone of the work tree as it stands.
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot });
  for (const file of listed.stdout.split('\0')) {
    // Deleted in the work tree but still in the index: a clone would not have it either.
    if (file === '' || !existsSync(join(repoRoot, file))) continue;
    await mkdir(dirname(join(checkout, file)), { recursive: true });
    await copyFile(join(repoRoot, file), join(checkout, file));
  }
  // `prepack` builds with the dev dependencies.
  await symlink(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', workDir], {
    cwd: checkout,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [report] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: join(workDir, report!.filename), files: report!.files.map((file) => file.path) };
}
