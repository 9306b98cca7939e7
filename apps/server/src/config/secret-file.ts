import { readSecretFile as readStrictSecretFile, SecretFileError } from '../shared/secret-file.js';
import { ConfigError } from './errors.js';

/**
 * Reads the file named by a `*_FILE` variable with the strict secret-file rules of
 * `shared/secret-file.ts` and reports a violation as a `ConfigError` naming the variable,
 * the file and the rule (never the contents).
 */
export function readSecretFile(variable: string, path: string, serviceUid?: number): string {
  try {
    return readStrictSecretFile(path, serviceUid === undefined ? {} : { serviceUid });
  } catch (error) {
    if (!(error instanceof SecretFileError)) throw error;
    throw new ConfigError(variable, `the file ${path}, which ${error.rule}`, 'an absolute path to a regular file owned by root or the service user, mode 0600 or 0640, not empty');
  }
}
