import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute } from 'node:path';

/** Largest secret file accepted: keys and keyrings are tiny, anything bigger is not what was meant. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** A secret file that violates one of the strict reading rules; names the path and rule, never the contents. */
export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
  readonly path: string;
  readonly rule: string;

  constructor(path: string, rule: string) {
    super(`secret file ${path} ${rule}`);
    this.path = path;
    this.rule = rule;
  }
}

export interface ReadSecretFileOptions {
  /** A further uid allowed to own the file besides root and the current process. */
  readonly serviceUid?: number;
}

/**
 * Reads a secret (`*_FILE` value, master key, keyring) strictly: absolute path; a regular file, not
 * a symlink; owned by root, the current process uid or `serviceUid`; no permission bits for others;
 * group read allowed (root:<group> 0640 provisioning) but no group write/execute; at most 64 KiB;
 * not empty once surrounding whitespace is stripped. Returns the stripped text. Synchronous because
 * configuration is built synchronously at startup. Throws `SecretFileError`.
 */
export function readSecretFile(path: string, options: ReadSecretFileOptions = {}): string {
  const refuse = (rule: string): never => {
    throw new SecretFileError(path, rule);
  };
  if (typeof path !== 'string' || !isAbsolute(path)) refuse('is not an absolute path');
  let stat;
  try {
    stat = lstatSync(path);
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

  // O_NOFOLLOW and the inode comparison close the gap between lstat and open: a path swapped for a
  // symlink or another file in between is refused instead of read.
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return refuse(`cannot be opened (${errnoCode(error)})`);
  }
  const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
  let filled = 0;
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev) refuse('changed while being read');
    for (;;) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > MAX_SECRET_FILE_BYTES) refuse(`is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    const value = buffer.subarray(0, filled).toString('utf8').trim();
    if (value === '') refuse('is empty');
    return value;
  } finally {
    buffer.fill(0);
    closeSync(fd);
  }
}

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}
