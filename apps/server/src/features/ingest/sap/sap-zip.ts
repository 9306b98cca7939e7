import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { Invalid } from '../../../shared/errors.js';

/** Limits against zip bombs; every limit is checked against declared and actual sizes. */
export interface SapArchiveLimits {
  /** Sum of the uncompressed sizes of all tables read. */
  readonly maxTotalBytes: number;
  /** Uncompressed size of one table. */
  readonly maxEntryBytes: number;
  /** Uncompressed/compressed ratio of one table (only checked above `ratioFloorBytes`). */
  readonly maxCompressionRatio: number;
  readonly ratioFloorBytes: number;
  /** Members in the archive (directory bombs). */
  readonly maxEntries: number;
}

export const DEFAULT_SAP_ARCHIVE_LIMITS: SapArchiveLimits = {
  maxTotalBytes: 2 * 1024 ** 3,
  // One table is decoded as one string; V8 strings stop at about 512 Mi characters.
  maxEntryBytes: 256 * 1024 ** 2,
  // Tab-separated exports compress 5-50x; deflate tops out near 1030x, which only a bomb reaches.
  maxCompressionRatio: 250,
  ratioFloorBytes: 1024 ** 2,
  maxEntries: 10_000,
};

/** Operating-system errors (EMFILE, EIO, ENOSPC…) pass through unchanged: they say nothing about the archive. */
function archiveError(prefix: string, error: unknown, member?: string): Error {
  if (error instanceof SapArchiveError) return error;
  if (typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined) return error as Error;
  return new SapArchiveError(`${prefix} (${(error as Error).message})`, member);
}

/** The archive is refused as a whole; `member` names the offending entry when there is one. */
export class SapArchiveError extends Invalid {
  constructor(
    message: string,
    readonly member?: string,
  ) {
    super(member === undefined ? message : `${message}: ${member}`);
  }
}

export interface SapArchiveTable {
  /** Path inside the zip, `/`-separated. */
  readonly memberPath: string;
  readonly bytes: Buffer;
}

export interface SapArchiveContents {
  /** The `*.txt` members, any depth, in archive order. */
  readonly tables: SapArchiveTable[];
  /** Other file members; listed, never extracted. */
  readonly otherMembers: string[];
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Why a member name is unsafe to extract, or undefined. Backslashes count as separators. */
export function unsafeMemberReason(name: string): string | undefined {
  if (name === '') return 'empty member name';
  if (name.includes('\0')) return 'NUL in member name';
  if (/^[/\\]/.test(name) || /^[a-zA-Z]:/.test(name)) return 'absolute member path';
  if (name.split(/[/\\]/).includes('..')) return 'member path escapes the archive (..)';
  return undefined;
}

function fileTypeBits(entry: yauzl.Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT;
}

async function readMember(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, maxBytes: number): Promise<Buffer> {
  let stream;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw archiveError('unreadable member', error, name);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new SapArchiveError(`member inflates beyond its declared ${maxBytes} bytes (zip bomb?)`, name);
      chunks.push(chunk);
    }
  } catch (error) {
    stream.destroy();
    // yauzl's own size check (validateEntrySizes) fires before ours when the header lies.
    if (/too many bytes/.test((error as Error).message)) throw new SapArchiveError(`member inflates beyond its declared ${entry.uncompressedSize} bytes (zip bomb?)`, name);
    throw archiveError('corrupt member', error, name);
  }
  const bytes = Buffer.concat(chunks, total);
  if (crc32(bytes) !== entry.crc32) throw new SapArchiveError('corrupt member (CRC mismatch)', name);
  return bytes;
}

/**
 * Reads the tables of a SAP IS-H zip without extracting anything to disk. The whole
 * archive is refused when any member is unsafe (absolute or `..` path, symlink or other
 * special file, encryption, duplicate name) or when a table breaks a size limit.
 */
export async function readSapArchive(zipPath: string, limits: SapArchiveLimits = DEFAULT_SAP_ARCHIVE_LIMITS): Promise<SapArchiveContents> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true });
  } catch (error) {
    throw archiveError('not a readable zip archive', error);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw new SapArchiveError(`archive has ${zip.entryCount} members, more than the limit of ${limits.maxEntries}`);
    const tables: SapArchiveTable[] = [];
    const otherMembers: string[] = [];
    const seen = new Set<string>();
    let totalBytes = 0;
    try {
      for await (const entry of zip.eachEntry()) {
        // decodeStrings is off so yauzl does not reject names itself with an unlabelled error;
        // the name is decoded here with backslashes kept, then checked.
        const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
        const unsafe = unsafeMemberReason(name);
        if (unsafe) throw new SapArchiveError(unsafe, name);
        const type = fileTypeBits(entry);
        if (type === S_IFLNK) throw new SapArchiveError('symbolic link member', name);
        if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw new SapArchiveError('special file member', name);
        if (entry.isEncrypted()) throw new SapArchiveError('encrypted member', name);
        const normalized = name.replace(/\\/g, '/');
        if (seen.has(normalized)) throw new SapArchiveError('duplicate member name', name);
        seen.add(normalized);
        if (normalized.endsWith('/') || type === S_IFDIR) continue;
        if (!normalized.endsWith('.txt')) {
          otherMembers.push(normalized);
          continue;
        }
        if (entry.uncompressedSize > limits.maxEntryBytes) throw new SapArchiveError(`member declares ${entry.uncompressedSize} bytes, more than the limit of ${limits.maxEntryBytes}`, name);
        if (entry.uncompressedSize > limits.ratioFloorBytes && entry.uncompressedSize > entry.compressedSize * limits.maxCompressionRatio) {
          const ratio = Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize));
          throw new SapArchiveError(`member compresses ${ratio}:1, more than the limit of ${limits.maxCompressionRatio}:1 (zip bomb?)`, name);
        }
        totalBytes += entry.uncompressedSize;
        if (totalBytes > limits.maxTotalBytes) throw new SapArchiveError(`tables exceed the total limit of ${limits.maxTotalBytes} uncompressed bytes at member`, name);
        tables.push({ memberPath: normalized, bytes: await readMember(zip, entry, name, Math.min(entry.uncompressedSize, limits.maxEntryBytes)) });
      }
    } catch (error) {
      throw archiveError('not a readable zip archive', error);
    }
    return { tables, otherMembers };
  } finally {
    zip.close();
  }
}
