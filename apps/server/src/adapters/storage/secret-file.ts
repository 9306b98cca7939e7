import { lstat, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { isAbsolute } from 'node:path';
import { SecretFileError } from './errors.js';

export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface ReadSecretFileOptions {
  /** A further uid allowed to own the file besides root and the current process. */
  readonly serviceUid?: number;
}

/**
 * Reads a secret (key or keyring) file strictly: absolute path; a regular file, not a symlink;
 * owned by root, the current process uid or `serviceUid`; no permission bits for others; group
 * read allowed (root:<group> 0640 provisioning) but no group write/execute; at most 64 KiB;
 * not empty once surrounding whitespace is stripped. Errors name the path and the rule, never the contents.
 */
export async function readSecretFile(path: string, options: ReadSecretFileOptions = {}): Promise<string> {
  const refuse = (rule: string): never => {
    throw new SecretFileError(path, rule);
  };
  if (!isAbsolute(path)) refuse('is not an absolute path');
  let stat;
  try {
    stat = await lstat(path);
  } catch (error) {
    return refuse(`cannot be inspected (${errnoCode(error)})`);
  }
  if (stat.isSymbolicLink()) refuse('is a symbolic link, which is not allowed');
  if (!stat.isFile()) refuse('is not a regular file');
  const ownUid = process.getuid?.();
  if (stat.uid !== 0 && stat.uid !== ownUid && stat.uid !== options.serviceUid) {
    refuse(`is owned by uid ${stat.uid}; it must be owned by root or the service user`);
  }
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  if ((stat.mode & 0o007) !== 0) refuse(`has permission bits for others (mode ${mode}); use 0600 or 0640`);
  if ((stat.mode & 0o030) !== 0) refuse(`is group-writable or group-executable (mode ${mode}); use 0600 or 0640`);
  if (stat.size > MAX_SECRET_FILE_BYTES) refuse(`is larger than ${MAX_SECRET_FILE_BYTES} bytes`);

  // O_NOFOLLOW closes the gap between lstat and open if the path is swapped for a symlink.
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return refuse(`cannot be opened (${errnoCode(error)})`);
  }
  let text: string;
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev) refuse('changed while being read');
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > MAX_SECRET_FILE_BYTES) refuse(`is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    text = buffer.subarray(0, filled).toString('utf8');
    buffer.fill(0);
  } finally {
    await handle.close();
  }
  const value = text.trim();
  if (value === '') refuse('is empty');
  return value;
}

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}
