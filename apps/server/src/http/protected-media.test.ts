import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { Keyring, MasterKey, StorageKeyError, StorageService } from '../adapters/storage/index.js';
import { buildApp, type App } from './app.js';
import { installProtectedMedia, parseRangeHeader, sanitizeFileName, sendProtectedFile } from './protected-media.js';

type T = { after: (fn: () => Promise<void>) => void };

interface Fixture {
  readonly app: App;
  readonly root: string;
  readonly outside: string;
  readonly storage: StorageService;
}

/** An app with one test route that delivers `?path=` (the caller has "authorized" by then). */
async function fixture(t: T, options: { serveWithNginx?: boolean; keyring?: () => Promise<Keyring>; chunkSize?: number } = {}): Promise<Fixture> {
  const base = await mkdtemp(join(tmpdir(), 'lx-media-test-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = join(base, 'storage');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  const keyring = new Keyring(MasterKey.generate());
  const storage = new StorageService({ root, keyring, chunkSize: options.chunkSize ?? 1000 });
  const app = buildApp({ logger: pino({ level: 'silent' }), trustedProxies: [] });
  installProtectedMedia(app, {
    root,
    internalUrl: '/protected_media/',
    serveWithNginx: options.serveWithNginx ?? false,
    keyring: options.keyring ?? (async () => keyring),
  });
  app.get(
    '/media',
    { config: { public: true }, schema: { querystring: z.object({ path: z.string(), name: z.string().default('datei.bin'), attachment: z.string().optional() }) } },
    async (request, reply) =>
      sendProtectedFile(reply, request, {
        relativePath: request.query.path,
        fileName: request.query.name,
        disposition: request.query.attachment === '1' ? 'attachment' : 'inline',
        contentType: 'application/octet-stream',
      }),
  );
  t.after(() => app.close());
  return { app, root, outside, storage };
}

const url = (path: string): string => `/media?path=${encodeURIComponent(path)}`;

function flipByte(file: Buffer, offset: number): Buffer {
  const copy = Buffer.from(file);
  copy[offset] = (copy[offset] ?? 0) ^ 0xff;
  return copy;
}

/** Offset of a ciphertext byte inside chunk `index` of an LXENC01 file written with `chunkSize`. */
function chunkByte(file: Buffer, chunkSize: number, index: number): number {
  const headerEnd = 12 + file.readUInt32BE(8);
  return headerEnd + index * (4 + chunkSize + 16) + 4 + 7;
}

interface RawOutcome {
  readonly status: number;
  readonly declared: number;
  readonly received: Buffer;
  readonly complete: boolean;
  readonly error: string | undefined;
}

/** GET over a real socket, reporting whether the body arrived complete or the connection was aborted. */
function fetchRaw(address: string, path: string, pauseMs = 0): Promise<RawOutcome> {
  // keep-alive, as between nginx and the app: a body that merely ends short would leave the client
  // waiting for the rest on an open connection, so only a destroyed connection ends this promise early
  const agent = new Agent({ keepAlive: true });
  return new Promise<RawOutcome>((resolve) => {
    const timer = setTimeout(() => {
      agent.destroy();
      resolve({ status: 0, declared: 0, received: Buffer.alloc(0), complete: false, error: 'client timed out waiting for the body' });
    }, 10_000);
    const req = httpRequest(`${address}${path}`, { agent }, (res) => {
      if (pauseMs > 0) {
        res.pause();
        setTimeout(() => res.resume(), pauseMs);
      }
      const parts: Buffer[] = [];
      let error: string | undefined;
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', (e) => (error = e.message));
      res.on('close', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, declared: Number(res.headers['content-length']), received: Buffer.concat(parts), complete: res.complete, error });
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: 0, declared: 0, received: Buffer.alloc(0), complete: false, error: e.message });
    });
    req.end();
  }).finally(() => agent.destroy());
}

describe('parseRangeHeader', () => {
  it('accepts one bytes=start-[end] range, clamping the end', () => {
    assert.deepEqual(parseRangeHeader(undefined, 100), { kind: 'full' });
    assert.deepEqual(parseRangeHeader('bytes=0-9', 100), { kind: 'range', start: 0, endInclusive: 9 });
    assert.deepEqual(parseRangeHeader('bytes=90-', 100), { kind: 'range', start: 90, endInclusive: 99 });
    assert.deepEqual(parseRangeHeader('bytes=90-1000', 100), { kind: 'range', start: 90, endInclusive: 99 });
    assert.deepEqual(parseRangeHeader(' bytes=99-99 ', 100), { kind: 'range', start: 99, endInclusive: 99 });
  });

  it('treats malformed, multiple, suffix and unsatisfiable ranges as unsatisfiable', () => {
    for (const header of ['bytes=-5', 'bytes=5-2', 'bytes=0-1,3-4', 'items=0-1', 'bytes=100-', 'bytes=abc-', 'bytes=', 'bytes 0-1', 'bytes=1e3-', 'bytes=99999999999999999-']) {
      assert.deepEqual(parseRangeHeader(header, 100), { kind: 'unsatisfiable' }, header);
    }
    assert.deepEqual(parseRangeHeader('bytes=0-', 0), { kind: 'unsatisfiable' }, 'nothing is satisfiable in an empty file');
  });
});

describe('sanitizeFileName', () => {
  it('keeps a header-safe ASCII base name', () => {
    assert.equal(sanitizeFileName('Befund Müller.pdf'), 'Befund Mueller.pdf');
    assert.equal(sanitizeFileName('../../etc/passwd'), 'passwd');
    assert.equal(sanitizeFileName('C:\\temp\\x.mp4'), 'x.mp4');
    assert.equal(sanitizeFileName('a"b;c\r\nd%e.pdf'), 'a_b_c__d_e.pdf');
    assert.equal(sanitizeFileName('Café ✓.txt'), 'Cafe _.txt');
    assert.equal(sanitizeFileName('...hidden'), 'hidden');
    assert.equal(sanitizeFileName(''), 'download');
    assert.equal(sanitizeFileName('x'.repeat(500)).length, 200);
  });
});

describe('sendProtectedFile streamed by the app', () => {
  it('serves a plaintext file whole (200) and by range (206) with the required headers', async (t) => {
    const { app, root } = await fixture(t);
    const data = randomBytes(5000);
    await mkdir(join(root, 'a'), { recursive: true });
    await writeFile(join(root, 'a/b.bin'), data);
    const whole = await app.inject({ url: `${url('a/b.bin')}&name=Bericht%20%C3%BC.pdf&attachment=1` });
    assert.equal(whole.statusCode, 200);
    assert.ok(whole.rawPayload.equals(data));
    assert.equal(whole.headers['content-length'], '5000');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(whole.headers['content-disposition'], 'attachment; filename="Bericht ue.pdf"');
    assert.equal(whole.headers['content-range'], undefined);
    const part = await app.inject({ url: url('a/b.bin'), headers: { range: 'bytes=4990-' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], 'bytes 4990-4999/5000');
    assert.equal(part.headers['content-length'], '10');
    assert.equal(part.headers['accept-ranges'], 'bytes');
    assert.equal(part.headers['content-disposition'], 'inline; filename="datei.bin"');
    assert.ok(part.rawPayload.equals(data.subarray(4990)));
  });

  it('answers 416 with Content-Range bytes */size for malformed or unsatisfiable ranges', async (t) => {
    const { app, root } = await fixture(t);
    await writeFile(join(root, 'f.bin'), randomBytes(100));
    await writeFile(join(root, 'empty.bin'), '');
    for (const range of ['bytes=100-', 'bytes=5-2', 'bytes=-10', 'bytes=0-1,5-6', 'pages=1-2', 'bytes=x-']) {
      const r = await app.inject({ url: url('f.bin'), headers: { range } });
      assert.equal(r.statusCode, 416, range);
      assert.equal(r.headers['content-range'], 'bytes */100', range);
      assert.equal(r.rawPayload.length, 0);
    }
    const empty = await app.inject({ url: url('empty.bin') });
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal((await app.inject({ url: url('empty.bin'), headers: { range: 'bytes=0-' } })).statusCode, 416);
  });

  it('decrypts LXENC01 files by range, touching only the chunks the range needs', async (t) => {
    const { app, root, storage } = await fixture(t, { chunkSize: 1000 });
    const data = randomBytes(10_500);
    await storage.write('enc/v.bin', Readable.from([data]));
    for (const [start, end] of [[0, 0], [999, 1000], [1500, 7321], [10_000, 10_499], [0, 10_499]] as const) {
      const r = await app.inject({ url: url('enc/v.bin'), headers: { range: `bytes=${start}-${end}` } });
      assert.equal(r.statusCode, 206);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${data.length}`);
      assert.ok(r.rawPayload.equals(data.subarray(start, end + 1)), `${start}-${end}`);
    }
    const whole = await app.inject({ url: url('enc/v.bin') });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-length'], String(data.length));
    assert.ok(whole.rawPayload.equals(data));
    // A damaged chunk outside the range does not matter, because it is never decrypted.
    const raw = await readFile(join(root, 'enc/v.bin'));
    await writeFile(join(root, 'enc/v.bin'), flipByte(raw, chunkByte(raw, 1000, 8)));
    const unaffected = await app.inject({ url: url('enc/v.bin'), headers: { range: 'bytes=1000-2999' } });
    assert.equal(unaffected.statusCode, 206);
    assert.ok(unaffected.rawPayload.equals(data.subarray(1000, 3000)));
  });

  it('answers HEAD with the headers only', async (t) => {
    const { app, storage } = await fixture(t);
    await storage.write('h.bin', Readable.from([randomBytes(3000)]));
    const r = await app.inject({ method: 'HEAD', url: url('h.bin'), headers: { range: 'bytes=10-19' } });
    assert.equal(r.statusCode, 206);
    assert.equal(r.headers['content-range'], 'bytes 10-19/3000');
    assert.equal(r.rawPayload.length, 0);
  });

  it('refuses traversal, absolute paths and symlinks leading out of the root; 404 for missing files', async (t) => {
    const { app, root, outside } = await fixture(t);
    await writeFile(join(outside, 'secret.txt'), 'outside-secret');
    await writeFile(join(root, 'inside.txt'), 'inside');
    await symlink(join(outside, 'secret.txt'), join(root, 'escape.txt'));
    await symlink(outside, join(root, 'escape-dir'));
    await symlink(join(root, 'inside.txt'), join(root, 'alias.txt'));
    for (const path of ['../outside/secret.txt', join(outside, 'secret.txt'), 'escape.txt', 'escape-dir/secret.txt', 'a/../../outside/secret.txt']) {
      const r = await app.inject({ url: url(path) });
      assert.equal(r.statusCode, 403, path);
      assert.ok(!r.body.includes('outside-secret'));
    }
    assert.equal((await app.inject({ url: url('alias.txt') })).body, 'inside', 'a link that stays inside is fine');
    assert.equal((await app.inject({ url: url('missing.txt') })).statusCode, 404);
    await mkdir(join(root, 'dir'));
    assert.equal((await app.inject({ url: url('dir') })).statusCode, 404);
  });

  it('answers 500 before any byte for corrupt, truncated, foreign or wrong-key files', async (t) => {
    const { app, root, storage } = await fixture(t);
    const data = randomBytes(4000);
    await storage.write('good.bin', Readable.from([data]));
    const raw = await readFile(join(root, 'good.bin'));
    await writeFile(join(root, 'bad-header.bin'), flipByte(raw, 20));
    await writeFile(join(root, 'truncated.bin'), raw.subarray(0, raw.length - 5));
    await writeFile(join(root, 'foreign.bin'), Buffer.concat([Buffer.from('LXENC01\n'), randomBytes(200)]));
    const other = new StorageService({ root, keyring: new Keyring(MasterKey.generate()) });
    await other.write('wrong-key.bin', Readable.from([data]));
    for (const name of ['bad-header.bin', 'truncated.bin', 'foreign.bin', 'wrong-key.bin']) {
      const r = await app.inject({ url: url(name), headers: { range: 'bytes=0-99' } });
      assert.equal(r.statusCode, 500, name);
      assert.equal(r.json().error, 'Die Datei ist beschädigt oder kann nicht entschlüsselt werden.');
      assert.ok(!r.rawPayload.includes(data.subarray(0, 32)));
    }
  });

  it('aborts the connection when a chunk fails mid-stream instead of ending the body early', async (t) => {
    const chunkSize = 256 * 1024;
    const { app, root, storage } = await fixture(t, { chunkSize });
    const data = randomBytes(12 * chunkSize);
    await storage.write('big.bin', Readable.from([data]));
    const raw = await readFile(join(root, 'big.bin'));
    await writeFile(join(root, 'big.bin'), flipByte(raw, chunkByte(raw, chunkSize, 9)));
    const outcome = await fetchRaw(await app.listen({ host: '127.0.0.1', port: 0 }), url('big.bin'));
    assert.equal(outcome.status, 200);
    assert.equal(outcome.declared, data.length);
    assert.ok(outcome.received.length < data.length, `received ${outcome.received.length}`);
    assert.ok(outcome.received.equals(data.subarray(0, outcome.received.length)), 'what arrived is correct plaintext');
    assert.ok(outcome.received.length <= 9 * chunkSize, 'nothing from or after the damaged chunk');
    assert.equal(outcome.complete, false, 'the response must not end as if complete');
    assert.match(outcome.error ?? '', /aborted|socket hang up|ECONNRESET/, 'the client sees an aborted response');
  });

  it('a plaintext file truncated while being sent aborts instead of ending short', async (t) => {
    const { app, root } = await fixture(t);
    const data = randomBytes(32 * 1024 * 1024);
    await writeFile(join(root, 'shrinking.bin'), data);
    app.get('/shrink', { config: { public: true } }, async (request, reply) => {
      // not awaited: a FastifyReply is thenable and would only settle once the response is over
      const sending = sendProtectedFile(reply, request, { relativePath: 'shrinking.bin', fileName: 's.bin', disposition: 'inline', contentType: 'application/octet-stream' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await truncate(join(root, 'shrinking.bin'), 1024);
      return sending;
    });
    // the client holds back so that backpressure keeps most of the file unread when it shrinks
    const outcome = await fetchRaw(await app.listen({ host: '127.0.0.1', port: 0 }), '/shrink', 300);
    assert.equal(outcome.declared, data.length);
    assert.ok(outcome.received.length < data.length);
    assert.equal(outcome.complete, false);
    assert.match(outcome.error ?? '', /aborted|socket hang up|ECONNRESET/);
  });
});

describe('sendProtectedFile with SERVE_WITH_NGINX', () => {
  it('hands plaintext files to nginx with exactly the X-Accel headers', async (t) => {
    const { app, root } = await fixture(t, { serveWithNginx: true });
    await mkdir(join(root, 'streamable_videos/processed/hls'), { recursive: true });
    await writeFile(join(root, 'streamable_videos/processed/v 1?#%.mp4'), 'plain');
    await writeFile(join(root, 'streamable_videos/processed/hls/playlist.m3u8'), '#EXTM3U\n');
    const r = await app.inject({ url: `${url('streamable_videos/processed/v 1?#%.mp4')}&name=v.mp4`, headers: { range: 'bytes=0-1' } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.rawPayload.length, 0);
    assert.equal(r.headers['x-accel-redirect'], '/protected_media/streamable_videos/processed/v%201%3F%23%25.mp4');
    assert.equal(r.headers['x-accel-buffering'], 'no');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.equal(r.headers['content-disposition'], 'inline; filename="v.mp4"');
    assert.equal(r.headers['content-range'], undefined);
    const playlist = await app.inject({ url: url('streamable_videos/processed/hls/playlist.m3u8') });
    assert.equal(playlist.headers['x-accel-redirect'], '/protected_media/streamable_videos/processed/hls/playlist.m3u8');
    assert.equal(playlist.headers['accept-ranges'], undefined);
  });

  it('never hands LXENC01 files to nginx, and still refuses paths outside the root', async (t) => {
    const { app, storage } = await fixture(t, { serveWithNginx: true });
    const data = randomBytes(2500);
    await storage.write('reports/r.pdf', Readable.from([data]));
    const r = await app.inject({ url: url('reports/r.pdf'), headers: { range: 'bytes=100-199' } });
    assert.equal(r.statusCode, 206);
    assert.equal(r.headers['x-accel-redirect'], undefined);
    assert.ok(r.rawPayload.equals(data.subarray(100, 200)));
    assert.equal((await app.inject({ url: url('../x') })).statusCode, 403);
  });

  it('serves plaintext without a key, and answers 503 for encrypted files when no key is configured', async (t) => {
    const missing = async (): Promise<Keyring> => {
      throw new StorageKeyError('LX_ANNOTATE_MASTER_KEY', 'no value', 'a key');
    };
    const { app, root, storage } = await fixture(t, { keyring: missing });
    await writeFile(join(root, 'plain.txt'), 'plain');
    await storage.write('enc.bin', Readable.from([Buffer.from('secret')]));
    assert.equal((await app.inject({ url: url('plain.txt') })).body, 'plain');
    const r = await app.inject({ url: url('enc.bin') });
    assert.equal(r.statusCode, 503);
    assert.ok(!r.body.includes('secret'));
  });
});
