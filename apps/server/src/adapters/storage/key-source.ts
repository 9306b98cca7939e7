import { KeyConfigError, SecretFileError } from './errors.js';
import { loadKeyring } from './keyring-file.js';
import { Keyring, MasterKey } from './keys.js';
import { StorageService } from './storage-service.js';

/** Where the master key comes from, as configured (see `settings.storage`). */
export interface KeySource {
  /** `LX_ANNOTATE_MASTER_KEYRING_FILE`: YAML keyring naming the active and retiring key files. */
  readonly keyringFile?: string | undefined;
  /** Text of `LX_ANNOTATE_MASTER_KEY` or of the file in `LX_ANNOTATE_MASTER_KEY_FILE`. */
  readonly masterKey?: { reveal(): string } | undefined;
  /** Which of the two variables supplied `masterKey`. */
  readonly masterKeyVia?: string | undefined;
}

export const KEY_VARIABLES = ['LX_ANNOTATE_MASTER_KEY_FILE', 'LX_ANNOTATE_MASTER_KEY', 'LX_ANNOTATE_MASTER_KEYRING_FILE'] as const;

/** No usable master key: names the variable at fault and what it must hold, never key material. */
export class StorageKeyError extends KeyConfigError {
  constructor(
    readonly variable: string,
    readonly problem: string,
    readonly accepted: string,
  ) {
    super(`${variable}: ${problem}; accepted: ${accepted}`);
  }
}

const KEY_SHAPE = 'URL-safe base64 of 16, 24 or 32 random bytes';

/**
 * Builds the keyring: the keyring file when configured (the master key variable, if also set, must
 * then name one of its keys, so that two settings can never silently disagree), else the single
 * master key. The application never generates a key: without one this throws `StorageKeyError`.
 */
export async function resolveKeyring(source: KeySource): Promise<Keyring> {
  let single: MasterKey | undefined;
  const via = source.masterKeyVia ?? 'LX_ANNOTATE_MASTER_KEY';
  if (source.masterKey !== undefined) {
    try {
      single = MasterKey.fromBase64(source.masterKey.reveal(), 'the key');
    } catch (error) {
      if (error instanceof KeyConfigError) throw new StorageKeyError(via, error.message, KEY_SHAPE);
      throw error;
    }
  }
  if (source.keyringFile !== undefined && source.keyringFile !== '') {
    let keyring: Keyring;
    try {
      keyring = await loadKeyring(source.keyringFile);
    } catch (error) {
      if (error instanceof SecretFileError || error instanceof KeyConfigError) {
        throw new StorageKeyError(
          'LX_ANNOTATE_MASTER_KEYRING_FILE',
          error.message,
          `a keyring file (schema_version: 1, active: /abs/key, retiring: [...]) whose files hold ${KEY_SHAPE}, owned by root or the service user, mode 0600 or 0640`,
        );
      }
      throw error;
    }
    if (single !== undefined && !keyring.keyIds.includes(single.id)) {
      throw new StorageKeyError(via, `names a key (${single.id}) that is not in the keyring ${source.keyringFile}`, 'unset it, or list that key file in the keyring (as active or retiring)');
    }
    return keyring;
  }
  if (single !== undefined) return new Keyring(single);
  throw new StorageKeyError(
    'LX_ANNOTATE_MASTER_KEY',
    'no value, and neither LX_ANNOTATE_MASTER_KEY_FILE nor LX_ANNOTATE_MASTER_KEYRING_FILE is set',
    `a master key (${KEY_SHAPE}) in a root:<group> 0640 file named by LX_ANNOTATE_MASTER_KEY_FILE, or a keyring in LX_ANNOTATE_MASTER_KEYRING_FILE; the application never generates a production key`,
  );
}

/**
 * Encrypted storage for a process, loaded on first use: processes that never touch storage start
 * without a key, and those that do fail with a `StorageKeyError` naming the variables.
 */
export class LazyStorage {
  readonly root: string;
  readonly #source: KeySource;
  #keyring: Promise<Keyring> | undefined;
  #service: Promise<StorageService> | undefined;

  constructor(root: string, source: KeySource) {
    this.root = root;
    this.#source = source;
  }

  /** Whether any key variable is set (no file is read). */
  get configured(): boolean {
    return this.#source.masterKey !== undefined || (this.#source.keyringFile ?? '') !== '';
  }

  /** The keyring, read and validated once; a failure is not cached, so a fixed file is picked up. */
  keyring(): Promise<Keyring> {
    this.#keyring ??= resolveKeyring(this.#source).catch((error: unknown) => {
      this.#keyring = undefined;
      throw error;
    });
    return this.#keyring;
  }

  /** The `StorageService` rooted at the storage directory (which must exist). */
  service(): Promise<StorageService> {
    this.#service ??= this.keyring().then(
      (keyring) => new StorageService({ root: this.root, keyring }),
      (error: unknown) => {
        this.#service = undefined;
        throw error;
      },
    );
    return this.#service;
  }
}
