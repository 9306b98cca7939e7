import { extname } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';

/** Bytes looked at for content sniffing (§3.1 step 4). */
export const SNIFF_BYTES = 2048;

/** §3.1 step 5. */
export const ALLOWED_UPLOAD_TYPES = ['application/pdf', 'video/mp4', 'video/avi', 'video/quicktime', 'video/x-msvideo', 'video/x-ms-wmv'] as const;
export type AllowedUploadType = (typeof ALLOWED_UPLOAD_TYPES)[number];

/** Extension of the stored copy for each allowed type. */
export const STORED_EXTENSION: Readonly<Record<AllowedUploadType, string>> = {
  'application/pdf': '.pdf',
  'video/mp4': '.mp4',
  'video/avi': '.avi',
  'video/quicktime': '.mov',
  'video/x-msvideo': '.avi',
  'video/x-ms-wmv': '.wmv',
};

/**
 * file-type names some containers differently from libmagic, whose names the
 * original's allow-list uses: AVI is `video/x-msvideo`, an ASF container is what a
 * `.wmv` file is, and an M4V is an MP4 with another brand.
 */
const SNIFFED_ALIASES: Readonly<Record<string, string>> = {
  'video/vnd.avi': 'video/x-msvideo',
  'video/x-ms-asf': 'video/x-ms-wmv',
  'video/x-m4v': 'video/mp4',
};

/** Like Python's `mimetypes.guess_type` for extensions an upload plausibly has (it knows no `.m4v` or `.qt`). */
const EXTENSION_GUESS: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.avi': 'video/x-msvideo',
  '.mov': 'video/quicktime',
  '.wmv': 'video/x-ms-wmv',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.zip': 'application/zip',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.dcm': 'application/dicom',
};

/** The original's last resort, by suffix (§3.1 step 4). */
const SUFFIX_TABLE: Readonly<Record<string, AllowedUploadType>> = {
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.avi': 'video/x-msvideo',
  '.mov': 'video/quicktime',
  '.qt': 'video/quicktime',
  '.wmv': 'video/x-ms-wmv',
};

/**
 * Text as libmagic would call it: no NUL, valid UTF-8 (or 8-bit text without C0
 * controls other than tab, CR, LF, FF, ESC). file-type recognises binary formats
 * only, so plain text needs this fallback, or a text file named `x.pdf` would pass
 * as a PDF by its extension.
 */
export function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d, 0x1b].includes(byte)) return false;
  }
  // A multi-byte sequence cut at the sniff boundary is still text.
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const replacements = decoded.split('\uFFFD').length - 1;
  return replacements <= 1;
}

export interface SniffedType {
  readonly mime: string;
  readonly via: 'content' | 'extension' | 'suffix';
}

/**
 * §3.1 step 4: content sniffing of the first bytes unless it says nothing
 * (`application/octet-stream`), else a guess from the extension, else the suffix
 * table; undefined when all three fail.
 */
export async function sniffUploadType(head: Uint8Array, filename: string): Promise<SniffedType | undefined> {
  const sniffed = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES)).catch(() => undefined);
  if (sniffed) {
    const mime = SNIFFED_ALIASES[sniffed.mime] ?? sniffed.mime;
    if (mime !== 'application/octet-stream') return { mime, via: 'content' };
  } else if (looksLikeText(head.subarray(0, SNIFF_BYTES))) {
    return { mime: 'text/plain', via: 'content' };
  }
  const extension = extname(filename).toLowerCase();
  const guessed = EXTENSION_GUESS[extension];
  if (guessed) return { mime: guessed, via: 'extension' };
  const suffix = SUFFIX_TABLE[extension];
  return suffix ? { mime: suffix, via: 'suffix' } : undefined;
}

export function isAllowedUploadType(mime: string): mime is AllowedUploadType {
  return (ALLOWED_UPLOAD_TYPES as readonly string[]).includes(mime);
}

/** What the sniffed head of a watcher file must be for its drop directory. */
export async function sniffWatcherFile(head: Uint8Array): Promise<'pdf' | 'video' | 'text' | 'other'> {
  const sniffed = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES)).catch(() => undefined);
  if (sniffed?.mime === 'application/pdf') return 'pdf';
  if (sniffed?.mime.startsWith('video/')) return 'video';
  if (!sniffed && looksLikeText(head.subarray(0, SNIFF_BYTES))) return 'text';
  return 'other';
}
