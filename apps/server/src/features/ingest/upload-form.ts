import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { IngestService, StoredSource } from './ingest.service.js';
import { ALLOWED_UPLOAD_TYPES, SNIFF_BYTES, STORED_EXTENSION, isAllowedUploadType, sniffUploadType, type AllowedUploadType } from './mime.js';

/** §3.1 step 3: larger files are refused. Exactly 1 GiB is still accepted. */
export const MAX_UPLOAD_BYTES = 1024 ** 3;
export const UPLOAD_TEXT_FIELDS = ['center_key', 'center_name', 'source_system', 'idempotency_key'] as const;
export type UploadTextField = (typeof UPLOAD_TEXT_FIELDS)[number];
const MAX_FIELD_CHARS = 255;

/** The messages of §3.1, each answered as `{"error": …}` with status 400. */
export const UPLOAD_ERRORS = {
  noFile: 'No file provided. Send the report or video in the multipart field "file".',
  notAFile: 'No file provided: the "file" field must be an uploaded file, not a text value.',
  unknownFields: (names: readonly string[]) => `Unknown upload request field(s): ${names.join(', ')}`,
  fieldTooLong: (name: string) => `Invalid upload request field ${name}: at most ${MAX_FIELD_CHARS} characters.`,
  fieldRepeated: (name: string) => `Invalid upload request field ${name}: sent more than once.`,
  fileRepeated: 'Invalid upload request: only one file may be sent per upload.',
  tooManyParts: 'Invalid upload request: too many form fields.',
  empty: 'Uploaded file is empty. Please choose a file with content.',
  tooLarge: `File too large. The largest accepted upload is 1 GiB (${MAX_UPLOAD_BYTES} bytes).`,
  noFilename: 'Uploaded file has no file name.',
  undetermined: 'Could not determine the file type of the upload.',
  unsupported: (mime: string) => `Unsupported file type: ${mime}. Accepted: ${ALLOWED_UPLOAD_TYPES.join(', ')}.`,
} as const;

export interface ReceivedUpload {
  readonly jobId: string;
  readonly stored: StoredSource;
  readonly contentType: AllowedUploadType;
  readonly filename: string;
  readonly fields: Readonly<Partial<Record<UploadTextField, string>>>;
  /** `Idempotency-Key` header, else the form field (the header takes precedence). */
  readonly idempotencyKey: string;
  readonly sniffedVia: 'content' | 'extension' | 'suffix';
}

export type UploadFormResult = { readonly ok: true; readonly upload: ReceivedUpload } | { readonly ok: false; readonly error: string };

/** What is known about the file part once it has been read (stored or not). */
interface FilePart {
  readonly filename: string;
  readonly sizeBytes: number;
  readonly tooLarge: boolean;
  readonly sniffed: { mime: string; via: 'content' | 'extension' | 'suffix' } | undefined;
  readonly stored: { jobId: string; source: StoredSource } | undefined;
}

interface FormState {
  readonly fields: Map<UploadTextField, string>;
  readonly unknown: Set<string>;
  readonly problems: string[];
  fileAsText: boolean;
  file: FilePart | undefined;
}

const isTextField = (name: string): name is UploadTextField => (UPLOAD_TEXT_FIELDS as readonly string[]).includes(name);

/** §3.1 validation, in its order, over what the request held; undefined when it passes steps 1–5. */
function firstProblem(state: FormState, headerKey: string | undefined): string | undefined {
  if (!state.file) return state.fileAsText ? UPLOAD_ERRORS.notAFile : UPLOAD_ERRORS.noFile;
  if (state.unknown.size > 0) return UPLOAD_ERRORS.unknownFields([...state.unknown].sort());
  if (state.problems.length > 0) return state.problems[0];
  if (headerKey !== undefined && headerKey.trim().length > MAX_FIELD_CHARS) return UPLOAD_ERRORS.fieldTooLong('Idempotency-Key');
  const { file } = state;
  if (file.sizeBytes === 0) return UPLOAD_ERRORS.empty;
  if (file.tooLarge) return UPLOAD_ERRORS.tooLarge;
  if (file.filename.trim() === '') return UPLOAD_ERRORS.noFilename;
  if (!file.sniffed) return UPLOAD_ERRORS.undetermined;
  if (!isAllowedUploadType(file.sniffed.mime)) return UPLOAD_ERRORS.unsupported(file.sniffed.mime);
  return undefined;
}

type ChunkIterator = AsyncIterator<Buffer>;

async function readHead(iterator: ChunkIterator, bytes: number): Promise<{ chunks: Buffer[]; length: number; ended: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) return { chunks, length, ended: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { chunks, length, ended: false };
}

async function drain(iterator: ChunkIterator): Promise<number> {
  let length = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return length;
    length += next.value.length;
  }
}

class UploadTooLarge extends Error {}

/**
 * Reads the file part. The first bytes are sniffed before anything is written; a
 * file that already fails a check is only counted (for the §3.1 order of errors)
 * and never stored. Otherwise the body streams straight into encrypted storage
 * while being hashed: never buffered whole, the size limit enforced on the way.
 * A body cut off midway makes the storage write fail, which removes its temp file.
 */
async function receiveFilePart(part: MultipartFile, state: FormState, headerKey: string | undefined, ingest: IngestService): Promise<FilePart> {
  const stream = part.file;
  const iterator = stream[Symbol.asyncIterator]() as ChunkIterator;
  const filename = part.filename ?? '';
  const head = await readHead(iterator, SNIFF_BYTES);
  const headBytes = Buffer.concat(head.chunks, head.length);
  const sniffed = head.length > 0 ? await sniffUploadType(headBytes, filename) : undefined;
  const provisional: FilePart = { filename, sizeBytes: head.ended ? head.length : head.length + 1, tooLarge: false, sniffed, stored: undefined };
  if (firstProblem({ ...state, file: provisional }, headerKey) !== undefined || !sniffed || !isAllowedUploadType(sniffed.mime)) {
    const sizeBytes = head.length + (head.ended ? 0 : await drain(iterator));
    return { filename, sizeBytes, tooLarge: sizeBytes > MAX_UPLOAD_BYTES || stream.truncated === true, sniffed, stored: undefined };
  }
  const jobId = ingest.newJobId();
  let total = 0;
  async function* body(): AsyncGenerator<Buffer> {
    for (const chunk of head.chunks) {
      total += chunk.length;
      yield chunk;
    }
    if (head.ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      total += next.value.length;
      if (total > MAX_UPLOAD_BYTES) throw new UploadTooLarge();
      yield next.value;
    }
    // busboy stops delivering at its own limit (one byte above ours) and flags the stream.
    if (stream.truncated) throw new UploadTooLarge();
  }
  try {
    const source = await ingest.storeSource(ingest.storedPathFor('upload_api', jobId, STORED_EXTENSION[sniffed.mime]), body());
    return { filename, sizeBytes: source.sizeBytes, tooLarge: false, sniffed, stored: { jobId, source } };
  } catch (error) {
    if (!(error instanceof UploadTooLarge)) throw error;
    const sizeBytes = total + (await drain(iterator));
    return { filename, sizeBytes, tooLarge: true, sniffed, stored: undefined };
  }
}

const MULTIPART_LIMIT_CODES = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_PROTO_VIOLATION']);

/**
 * Parses `POST upload/`: text fields and one `file`, validated in the order of
 * §3.1 steps 1–5. The file is stored (encrypted, under its future job id) only when
 * the request passes; whatever was stored for a request that is then refused is
 * deleted again before this returns.
 */
export async function receiveUpload(request: FastifyRequest, ingest: IngestService): Promise<UploadFormResult> {
  if (!request.isMultipart()) return { ok: false, error: UPLOAD_ERRORS.noFile };
  const header = request.headers['idempotency-key'];
  const headerKey = typeof header === 'string' ? header : undefined;
  const state: FormState = { fields: new Map(), unknown: new Set(), problems: [], fileAsText: false, file: undefined };
  let extraFile = false;
  try {
    const parts = request.parts({
      limits: { fields: 32, files: 4, parts: 40, fieldNameSize: 200, fieldSize: 64 * 1024, fileSize: MAX_UPLOAD_BYTES + 1 },
    }) as AsyncIterableIterator<Multipart>;
    for await (const part of parts) {
      if (part.type === 'field') {
        const name = part.fieldname;
        if (name === 'file') state.fileAsText = true;
        else if (!isTextField(name)) state.unknown.add(name);
        else if (state.fields.has(name)) state.problems.push(UPLOAD_ERRORS.fieldRepeated(name));
        else {
          const value = String(part.value ?? '').trim();
          if (part.valueTruncated || value.length > MAX_FIELD_CHARS) state.problems.push(UPLOAD_ERRORS.fieldTooLong(name));
          state.fields.set(name, value);
        }
        continue;
      }
      if (part.fieldname !== 'file') {
        state.unknown.add(part.fieldname);
        await drain(part.file[Symbol.asyncIterator]() as ChunkIterator);
        continue;
      }
      if (state.file) {
        extraFile = true;
        await drain(part.file[Symbol.asyncIterator]() as ChunkIterator);
        continue;
      }
      state.file = await receiveFilePart(part, state, headerKey, ingest);
    }
  } catch (error) {
    if (state.file?.stored) await ingest.discardStored(state.file.stored.source.relativePath);
    if (MULTIPART_LIMIT_CODES.has((error as { code?: string }).code ?? '')) return { ok: false, error: UPLOAD_ERRORS.tooManyParts };
    throw error;
  }
  if (extraFile && state.unknown.size === 0) state.problems.unshift(UPLOAD_ERRORS.fileRepeated);
  const problem = firstProblem(state, headerKey);
  const file = state.file;
  if (problem !== undefined || !file?.stored || !file.sniffed || !isAllowedUploadType(file.sniffed.mime)) {
    if (file?.stored) await ingest.discardStored(file.stored.source.relativePath);
    return { ok: false, error: problem ?? UPLOAD_ERRORS.undetermined };
  }
  const fields = Object.fromEntries(state.fields) as Partial<Record<UploadTextField, string>>;
  const idempotencyKey = headerKey !== undefined && headerKey.trim() !== '' ? headerKey.trim() : (fields.idempotency_key ?? '');
  return {
    ok: true,
    upload: { jobId: file.stored.jobId, stored: file.stored.source, contentType: file.sniffed.mime, filename: file.filename.trim(), fields, idempotencyKey, sniffedVia: file.sniffed.via },
  };
}
