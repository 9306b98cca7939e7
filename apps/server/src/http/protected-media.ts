import { extname } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LxencError, PayloadReader, StorageKeyError, StoragePathError } from '../adapters/storage/index.js';
import type { Keyring, OpenedPayload } from '../adapters/storage/index.js';
import { Forbidden, NotFound, Unavailable } from '../shared/errors.js';

/** Stream buffer of app-served media: one LXENC01 chunk, so a range costs few event-loop turns. */
export const MEDIA_STREAM_HIGH_WATER_MARK = 1024 * 1024;

export interface ProtectedMediaConfig {
  /** `settings.paths.protectedMediaRoot`: every delivered path is relative to it and must stay inside. */
  readonly root: string;
  /** `settings.http.protectedMediaUrl` (NGINX_PROTECTED_MEDIA_URL), the internal nginx location. */
  readonly internalUrl: string;
  /** `settings.http.serveWithNginx` (SERVE_WITH_NGINX): hand plaintext files to nginx. */
  readonly serveWithNginx: boolean;
  /** Asked only when an LXENC01 file is served. */
  readonly keyring: () => Promise<Keyring>;
}

/** What the (already authorized) caller wants delivered. */
export interface ProtectedFile {
  /** Path relative to the protected media root. */
  readonly relativePath: string;
  /** Name offered to the browser; sanitised before it goes into Content-Disposition. */
  readonly fileName: string;
  readonly disposition: 'inline' | 'attachment';
  readonly contentType: string;
}

/** Either the whole file or one inclusive byte range of it; `unsatisfiable` answers 416. */
export type RangeRequest = { readonly kind: 'full' } | { readonly kind: 'range'; readonly start: number; readonly endInclusive: number } | { readonly kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d{1,16})-(\d{0,16})$/;

/**
 * Interprets a Range header the way the original did: only `bytes=<start>-[<end>]`, one range, no
 * suffix ranges. The end defaults to and is clamped at size−1. Anything else that is present is
 * unsatisfiable (the caller answers 416), so a client never mistakes a full body for its range.
 */
export function parseRangeHeader(header: string | undefined, sizeBytes: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match) return { kind: 'unsatisfiable' };
  const start = Number(match[1]);
  const end = match[2] === '' ? sizeBytes - 1 : Math.min(Number(match[2]), sizeBytes - 1);
  if (!Number.isSafeInteger(start) || start >= sizeBytes || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, endInclusive: end };
}

const TRANSLITERATION: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ß: 'ss' };

/**
 * A file name safe inside `filename="…"`: the last path component, German umlauts transliterated,
 * other accents dropped, and quotes, backslashes, separators, control and non-ASCII characters
 * replaced, so that neither the header nor the browser's save path can be subverted.
 */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const ascii = base
    .replace(/[äöüÄÖÜß]/g, (c) => TRANSLITERATION[c] ?? '_')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\;%]/g, '_')
    .trim()
    .replace(/^\.+/, '');
  const bounded = ascii.length > 200 ? ascii.slice(0, 200) : ascii;
  return bounded === '' ? 'download' : bounded;
}

function contentDisposition(file: ProtectedFile): string {
  return `${file.disposition === 'attachment' ? 'attachment' : 'inline'}; filename="${sanitizeFileName(file.fileName)}"`;
}

/** nginx percent-decodes X-Accel-Redirect, so each segment is encoded: spaces, `?`, `#`, `%` and non-ASCII survive. */
function accelPath(internalUrl: string, relativePath: string): string {
  return `${internalUrl.replace(/\/+$/, '')}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Delivery of protected media after the caller has authorized the request. With SERVE_WITH_NGINX a
 * plaintext file goes out as an empty X-Accel-Redirect response that nginx fills from its internal
 * location; LXENC01 files are never handed to nginx and, like everything without nginx, are
 * streamed by the app with single-range support, decrypting only the chunks a range needs.
 */
export class ProtectedMediaDelivery {
  readonly #config: ProtectedMediaConfig;
  readonly #reader: PayloadReader;

  constructor(config: ProtectedMediaConfig) {
    this.#config = config;
    this.#reader = new PayloadReader(config.root, config.keyring);
  }

  async send(reply: FastifyReply, request: FastifyRequest, file: ProtectedFile): Promise<FastifyReply> {
    let opened: OpenedPayload;
    try {
      opened = await this.#open(request, file.relativePath);
    } catch (error) {
      if (!(error instanceof MediaUnreadable)) throw error;
      return reply.code(500).send({ error: 'Die Datei ist beschädigt oder kann nicht entschlüsselt werden.', request_id: request.id });
    }
    const playlist = extname(opened.relativePath).toLowerCase() === '.m3u8';
    if (!opened.encrypted && this.#config.serveWithNginx) {
      await opened.close();
      reply
        .code(200)
        .header('Content-Type', file.contentType)
        .header('X-Accel-Redirect', accelPath(this.#config.internalUrl, opened.relativePath))
        .header('X-Accel-Buffering', 'no')
        .header('Content-Disposition', contentDisposition(file));
      if (!playlist) reply.header('Accept-Ranges', 'bytes');
      return reply.send();
    }
    return this.#stream(reply, request, file, opened);
  }

  async #open(request: FastifyRequest, relativePath: string): Promise<OpenedPayload> {
    try {
      return await this.#reader.open(relativePath);
    } catch (error) {
      if (error instanceof StoragePathError) {
        request.log.warn({ relativePath, reason: error.message }, 'protected media path refused');
        throw new Forbidden('Zugriff auf diese Datei ist nicht erlaubt.');
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw new NotFound('Datei nicht gefunden.');
      if (error instanceof StorageKeyError) {
        request.log.error({ variable: error.variable, problem: error.problem }, 'encrypted media requested but no usable storage key');
        throw new Unavailable('Der verschlüsselte Speicher ist nicht eingerichtet.');
      }
      if (error instanceof LxencError) {
        request.log.error({ relativePath, lxencCode: error.code, err: error }, 'protected media file cannot be decrypted');
        throw new MediaUnreadable(error.message);
      }
      throw error;
    }
  }

  async #stream(reply: FastifyReply, request: FastifyRequest, file: ProtectedFile, opened: OpenedPayload): Promise<FastifyReply> {
    const size = opened.size;
    const range = parseRangeHeader(request.headers.range, size);
    reply.header('Content-Type', file.contentType).header('Accept-Ranges', 'bytes').header('Content-Disposition', contentDisposition(file));
    if (range.kind === 'unsatisfiable') {
      await opened.close();
      return reply.code(416).header('Content-Range', `bytes */${size}`).header('Content-Type', 'text/plain; charset=utf-8').send('');
    }
    const [start, endInclusive] = range.kind === 'range' ? [range.start, range.endInclusive] : [0, size - 1];
    const lengthBytes = endInclusive - start + 1;
    reply.code(range.kind === 'range' ? 206 : 200).header('Content-Length', lengthBytes);
    if (range.kind === 'range') reply.header('Content-Range', `bytes ${start}-${endInclusive}/${size}`);
    if (request.method === 'HEAD' || lengthBytes === 0) {
      await opened.close();
      return reply.send();
    }
    return reply.send(opened.stream(start, endInclusive, { highWaterMarkBytes: MEDIA_STREAM_HIGH_WATER_MARK }));
  }
}

/** A stored file that is corrupt, truncated, foreign or under an unknown key; details are only logged. */
class MediaUnreadable extends Error {}

const DELIVERY = Symbol('lx.protectedMedia');

/** Makes `sendProtectedFile` available to every route of `app` (call once, before routes are registered). */
export function installProtectedMedia(app: FastifyInstance, config: ProtectedMediaConfig): ProtectedMediaDelivery {
  const delivery = new ProtectedMediaDelivery(config);
  app.decorate(DELIVERY, delivery);
  return delivery;
}

/**
 * Sends a protected file on behalf of a route that has authorized the request (see
 * `ProtectedMediaDelivery`). Throws NotFound / Forbidden / Unavailable for the error mapping.
 */
export function sendProtectedFile(reply: FastifyReply, request: FastifyRequest, file: ProtectedFile): Promise<FastifyReply> {
  const delivery = (request.server as unknown as Record<symbol, ProtectedMediaDelivery | undefined>)[DELIVERY];
  if (delivery === undefined) throw new Error('installProtectedMedia() was not called for this app');
  return delivery.send(reply, request, file);
}
