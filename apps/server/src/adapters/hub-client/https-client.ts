import { randomBytes } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';

/** Transport of the sender: https only, client certificate and CA as configured, no redirects. */
export interface HubTransport {
  /** PEM of the client certificate and key (both or neither). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** CA bundle that verifies the hub; the system store when absent. */
  readonly ca?: Buffer;
  /** Per request; default 60 s. */
  readonly timeoutMs?: number;
}

export interface HubCredentials {
  readonly nodeKey: string;
  readonly secret: string;
}

export interface HubResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A transport failure (DNS, TLS, timeout, redirect, unparseable answer): retryable. */
export class HubNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubNetworkError';
  }
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Joins the node's https base URL and an API path; anything but https is refused. */
export function hubUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  if (base.protocol !== 'https:') throw new HubNetworkError('hub base_url must use https');
  return new URL(path.replace(/^\//, ''), base);
}

/**
 * One request to the hub. The body is JSON, or a byte stream with its exact length. Redirects are
 * never followed (a 3xx is an error: a hub answering with one is misconfigured or impersonated).
 */
export function hubRequest(
  transport: HubTransport,
  credentials: HubCredentials,
  method: 'GET' | 'POST',
  url: URL,
  body?: { json: unknown } | { stream: AsyncIterable<Uint8Array>; contentType: string; contentLength: number },
): Promise<HubResponse> {
  if (url.protocol !== 'https:') return Promise.reject(new HubNetworkError('hub requests must use https'));
  const headers: Record<string, string> = {
    accept: 'application/json',
    'x-network-node-key': credentials.nodeKey,
    'x-network-node-secret': credentials.secret,
  };
  let payload: Buffer | undefined;
  if (body && 'json' in body) {
    payload = Buffer.from(JSON.stringify(body.json));
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  } else if (body) {
    headers['content-type'] = body.contentType;
    headers['content-length'] = String(body.contentLength);
  }
  const options: RequestOptions = {
    method,
    headers,
    agent: false,
    timeout: transport.timeoutMs ?? 60_000,
    ...(transport.ca ? { ca: transport.ca } : {}),
    ...(transport.cert && transport.key ? { cert: transport.cert, key: transport.key } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
      });
      res.on('error', (e) => reject(new HubNetworkError(e.message)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) return reject(new HubNetworkError(`hub answered with a redirect (${status}); redirects are not followed`));
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? {} : JSON.parse(text);
        } catch {
          parsed = { detail: text.slice(0, 200) };
        }
        resolve({ status, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new HubNetworkError('hub request timed out')));
    req.on('error', (e) => reject(e instanceof HubNetworkError ? e : new HubNetworkError(e.message)));
    if (payload) req.end(payload);
    else if (body && 'stream' in body) {
      void (async () => {
        try {
          for await (const chunk of body.stream) {
            if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', () => r()));
          }
          req.end();
        } catch (error) {
          req.destroy(error as Error);
        }
      })();
    } else req.end();
  });
}

/** multipart/form-data with `media_role=processed` and one file, streamed with an exact length. */
export function multipartUpload(fileName: string, fileBytes: number, file: AsyncIterable<Uint8Array>): { stream: AsyncIterable<Uint8Array>; contentType: string; contentLength: number } {
  const boundary = `lx-annotate-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="media_role"\r\n\r\nprocessed\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName.replace(/["\r\n]/g, '_')}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* stream(): AsyncGenerator<Uint8Array> {
    yield head;
    yield* file;
    yield tail;
  }
  return { stream: stream(), contentType: `multipart/form-data; boundary=${boundary}`, contentLength: head.length + fileBytes + tail.length };
}
