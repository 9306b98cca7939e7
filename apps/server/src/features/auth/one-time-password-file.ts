import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface PendingFile {
  /** Moves the file into place (atomic rename, directory synced). */
  commit(): Promise<void>;
  /** Removes the temporary file. */
  discard(): Promise<void>;
}

/**
 * Writes a one-time password to a temporary 0600 file beside `path` (fsynced);
 * the caller commits it once the account exists, so that a file never names a
 * password that no account has, and a crash never leaves a half-written file.
 */
export async function writeOneTimePasswordFile(path: string, password: string): Promise<PendingFile> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${password}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return {
    async commit() {
      await rename(temp, path);
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    },
    discard: () => rm(temp, { force: true }),
  };
}

/** Where the first-run admin's one-time password is kept: a file in the data root. */
export function initialAdminPasswordFile(dataRoot: string): string {
  return join(dataRoot, 'initial-admin-password.txt');
}
