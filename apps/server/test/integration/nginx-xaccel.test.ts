// Protected media through a real Debian nginx: X-Accel-Redirect hand-off for plaintext files, app
// streaming for LXENC01 files, an internal location that is unreachable from outside, and a client
// that tries to smuggle its own X-Accel-Redirect. No database is involved, so one run suffices.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { Keyring, MasterKey, StorageService } from '../../src/adapters/storage/index.js';
import { buildApp, type App } from '../../src/http/app.js';
import { installProtectedMedia, sendProtectedFile } from '../../src/http/protected-media.js';
import { Forbidden } from '../../src/shared/errors.js';
import { startNginx, type NginxInstance } from '../helpers/nginx.js';

interface Fetched {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A plain HTTP/1.1 GET that allows any request header (fetch forbids some) and returns the raw body. */
function get(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const CLIP = 'streamable_videos/processed/clip eins ü.mp4';
const PLAYLIST = 'streamable_videos/processed/hls/v0/playlist.m3u8';
const REPORT = 'reports/2024/befund.pdf';
const SECRET = 'secret.txt';
const SECRET_TEXT = 'internal-only-content-4711';

describe('protected media behind a real nginx', () => {
  let base: string;
  let root: string;
  let app: App;
  let appUrl: string;
  let nginx: NginxInstance;
  let clip: Buffer;
  let report: Buffer;
  const seenAccelRequestHeaders: Array<string | undefined> = [];

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'lx-nginx-media-'));
    root = join(base, 'storage');
    mkdirSync(join(root, 'streamable_videos/processed/hls/v0'), { recursive: true });
    clip = randomBytes(3 * 1024 * 1024 + 123);
    writeFileSync(join(root, CLIP), clip, { mode: 0o640 });
    writeFileSync(join(root, PLAYLIST), '#EXTM3U\n#EXT-X-ENDLIST\n', { mode: 0o640 });
    writeFileSync(join(root, SECRET), SECRET_TEXT, { mode: 0o640 });
    const keyring = new Keyring(MasterKey.generate());
    const storage = new StorageService({ root, keyring });
    report = randomBytes(3 * 1024 * 1024 + 4567);
    await storage.write(REPORT, Readable.from([report]));

    app = buildApp({ logger: pino({ level: 'silent' }), trustedProxies: ['127.0.0.1'] });
    installProtectedMedia(app, { root, internalUrl: '/protected_media/', serveWithNginx: true, keyring: async () => keyring });
    const files: Record<string, { relativePath: string; contentType: string; fileName: string }> = {
      clip: { relativePath: CLIP, contentType: 'video/mp4', fileName: 'clip eins ü.mp4' },
      playlist: { relativePath: PLAYLIST, contentType: 'application/vnd.apple.mpegurl', fileName: 'playlist.m3u8' },
      report: { relativePath: REPORT, contentType: 'application/pdf', fileName: 'Befund "Müller".pdf' },
    };
    app.get(
      '/api/test-media/:name/',
      { config: { public: true }, schema: { params: z.object({ name: z.string() }) } },
      async (request, reply) => {
        seenAccelRequestHeaders.push(request.headers['x-accel-redirect'] as string | undefined);
        // stands in for the media feature's authorization
        if (request.headers['x-test-token'] !== 'clinician') throw new Forbidden('Keine Berechtigung.');
        const file = files[request.params.name];
        if (file === undefined) throw new Forbidden('Keine Berechtigung.');
        return sendProtectedFile(reply, request, { ...file, disposition: 'inline' });
      },
    );
    appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    const appPort = new URL(appUrl).port;
    nginx = await startNginx({
      http: ({ port }) => `
  server {
    listen 127.0.0.1:${port};
    location /protected_media/ {
      internal;
      alias ${root}/;
    }
    location / {
      proxy_pass http://127.0.0.1:${appPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Accel-Redirect "";
    }
  }`,
    });
  });

  after(async () => {
    await nginx?.stop();
    await app?.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('the app answers a plaintext file with an empty X-Accel-Redirect response', async () => {
    const direct = await get(`${appUrl}/api/test-media/clip/`, { 'x-test-token': 'clinician', range: 'bytes=0-99' });
    assert.equal(direct.status, 200);
    assert.equal(direct.body.length, 0);
    assert.equal(direct.headers['x-accel-redirect'], '/protected_media/streamable_videos/processed/clip%20eins%20%C3%BC.mp4');
    assert.equal(direct.headers['x-accel-buffering'], 'no');
    assert.equal(direct.headers['accept-ranges'], 'bytes');
    assert.equal(direct.headers['content-type'], 'video/mp4');
    assert.equal(direct.headers['content-disposition'], 'inline; filename="clip eins ue.mp4"');
    const playlist = await get(`${appUrl}/api/test-media/playlist/`, { 'x-test-token': 'clinician' });
    assert.equal(playlist.headers['x-accel-redirect'], `/protected_media/${PLAYLIST}`);
    assert.equal(playlist.headers['accept-ranges'], undefined, 'no Accept-Ranges for playlists');
  });

  test('a range through nginx for an X-Accel file returns exactly those bytes (206)', async () => {
    const start = 1_000_003;
    const end = 2_048_123;
    const r = await get(`${nginx.url}/api/test-media/clip/`, { 'x-test-token': 'clinician', range: `bytes=${start}-${end}` });
    assert.equal(r.status, 206, nginx.errorLog());
    assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${clip.length}`);
    assert.ok(r.body.equals(clip.subarray(start, end + 1)), 'exact bytes');
    assert.equal(r.headers['x-accel-redirect'], undefined, 'nginx consumes the header');
    assert.equal(r.headers['content-type'], 'video/mp4');
    assert.equal(r.headers['content-disposition'], 'inline; filename="clip eins ue.mp4"');
    const whole = await get(`${nginx.url}/api/test-media/clip/`, { 'x-test-token': 'clinician' });
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(clip));
  });

  test('an LXENC01 file is streamed decrypted by the app through nginx, by range and whole', async () => {
    const start = 1_048_000;
    const end = 2_098_000;
    const r = await get(`${nginx.url}/api/test-media/report/`, { 'x-test-token': 'clinician', range: `bytes=${start}-${end}` });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${report.length}`);
    assert.equal(r.headers['content-length'], String(end - start + 1));
    assert.ok(r.body.equals(report.subarray(start, end + 1)), 'exact plaintext bytes');
    assert.equal(r.headers['content-disposition'], 'inline; filename="Befund _Mueller_.pdf"');
    const whole = await get(`${nginx.url}/api/test-media/report/`, { 'x-test-token': 'clinician' });
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(report));
    assert.ok(!readFileSync(join(root, REPORT)).includes(report.subarray(0, 64)), 'ciphertext on disk');
    const direct = await get(`${appUrl}/api/test-media/report/`, { 'x-test-token': 'clinician', range: 'bytes=0-9' });
    assert.equal(direct.headers['x-accel-redirect'], undefined, 'LXENC01 files are never handed to nginx');
    const bad = await get(`${nginx.url}/api/test-media/report/`, { 'x-test-token': 'clinician', range: `bytes=${report.length}-` });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${report.length}`);
  });

  test('the internal location answers 404 from outside', async () => {
    for (const path of [`/protected_media/${SECRET}`, '/protected_media/streamable_videos/processed/clip%20eins%20%C3%BC.mp4', '/protected_media/']) {
      const r = await get(`${nginx.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.ok(!r.body.includes(Buffer.from(SECRET_TEXT)));
    }
  });

  test('a client-sent X-Accel-Redirect has no effect', async () => {
    const before = seenAccelRequestHeaders.length;
    const denied = await get(`${nginx.url}/api/test-media/clip/`, { 'x-accel-redirect': `/protected_media/${SECRET}` });
    assert.equal(denied.status, 403);
    assert.ok(!denied.body.includes(Buffer.from(SECRET_TEXT)));
    assert.deepEqual(JSON.parse(denied.body.toString()), { detail: 'Keine Berechtigung.' });
    const allowed = await get(`${nginx.url}/api/test-media/report/`, { 'x-test-token': 'clinician', 'x-accel-redirect': `/protected_media/${SECRET}`, range: 'bytes=0-15' });
    assert.equal(allowed.status, 206);
    assert.ok(allowed.body.equals(report.subarray(0, 16)), 'the authorized file, not the smuggled one');
    assert.deepEqual(seenAccelRequestHeaders.slice(before), [undefined, undefined], 'nginx strips the header before the app sees it');
    const missing = await get(`${nginx.url}/no-such-route`, { 'x-accel-redirect': `/protected_media/${SECRET}` });
    assert.equal(missing.status, 404);
    assert.ok(!missing.body.includes(Buffer.from(SECRET_TEXT)));
  });
});
