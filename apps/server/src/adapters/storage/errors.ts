/** Failure categories of the LXENC01 reader/writer. */
export type LxencErrorCode =
  | 'bad_magic'
  | 'bad_header'
  | 'truncated'
  | 'bad_tag'
  | 'wrong_key'
  | 'bad_geometry'
  | 'chunk_size'
  | 'bad_range'
  | 'bad_source';

/** A corrupt, foreign or undecryptable LXENC01 file (or a misuse of the reader/writer). */
export class LxencError extends Error {
  override readonly name = 'LxencError';
  readonly code: LxencErrorCode;
  readonly path: string | undefined;

  constructor(code: LxencErrorCode, detail: string, path?: string) {
    super(path === undefined ? `LXENC01: ${detail}` : `LXENC01 file ${path}: ${detail}`);
    this.code = code;
    this.path = path;
  }
}

/** An unusable master key or keyring definition. Never carries key material. */
export class KeyConfigError extends Error {
  override readonly name = 'KeyConfigError';
}

/** Re-exported so keyring loading errors can be told apart by callers of this adapter alone. */
export { SecretFileError } from '../../shared/secret-file.js';

/** A storage path that is malformed or would leave the storage root. */
export class StoragePathError extends Error {
  override readonly name = 'StoragePathError';
  readonly relativePath: string;

  constructor(relativePath: string, reason: string) {
    super(`storage path ${JSON.stringify(relativePath)} ${reason}`);
    this.relativePath = relativePath;
  }
}
