import { lstatSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ConfigError } from './errors.js';

const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Reads a `*_FILE` secret strictly: absolute path, a regular file (not a symlink),
 * owned by root or the service user, no permission bits for others and no group
 * write/execute (group read stays allowed for `root:<group> 0640` provisioning),
 * at most 64 KiB, not empty after stripping. Errors name the file and the rule,
 * never the contents.
 */
export function readSecretFile(variable: string, path: string, serviceUid = process.getuid?.() ?? 0): string {
  const refuse = (rule: string): never => {
    throw new ConfigError(variable, `the file ${path}, which ${rule}`, 'an absolute path to a regular file owned by root or the service user, mode 0600 or 0640, not empty');
  };
  if (!isAbsolute(path)) refuse('is not an absolute path');
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    return refuse(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (stat.isSymbolicLink()) refuse('is a symbolic link');
  if (!stat.isFile()) refuse('is not a regular file');
  if (stat.uid !== 0 && stat.uid !== serviceUid) refuse(`is owned by uid ${stat.uid}`);
  if ((stat.mode & 0o007) !== 0) refuse(`has permissions for others (mode ${(stat.mode & 0o777).toString(8)})`);
  if ((stat.mode & 0o030) !== 0) refuse(`is group-writable or group-executable (mode ${(stat.mode & 0o777).toString(8)})`);
  if (stat.size > MAX_SECRET_FILE_BYTES) refuse('is larger than 64 KiB');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return refuse(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = text.trim();
  if (value === '') refuse('is empty');
  return value;
}
