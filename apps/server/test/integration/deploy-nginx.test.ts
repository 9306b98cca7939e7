import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, httpsGet, renderShippedSite, startNginx, type NginxProcess } from '../../../../deploy/test/nginx.js';
import { generatePki, pem, type TestPki } from '../../../../deploy/test/tls.js';

const HOST = 'lx.nginx.test';

/**
 * The shipped deploy/nginx-lx-annotate.conf, run by the real nginx in front of a recording
 * upstream that stands where the web process would: what reaches the app, what nginx serves itself.
 */
describe('deploy/nginx-lx-annotate.conf', () => {
  let root: string;
  let pki: TestPki;
  let nginx: NginxProcess;
  let upstream: Server;
  let httpsPort: number;
  let httpPort: number;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'lx-nginx-'));
    const state = join(root, 'state');
    pki = generatePki(join(state, 'ssl'), HOST);
    mkdirSync(join(state, 'staticfiles', '.vite'), { recursive: true });
    writeFileSync(join(state, 'staticfiles', '.vite', 'manifest.json'), '{"src/main.ts":{"file":"assets/main.js"}}');
    mkdirSync(join(state, 'data', 'storage', 'streamable_videos', 'processed', 'hls'), { recursive: true });
    writeFileSync(join(state, 'data', 'storage', 'streamable_videos', 'processed', 'hls', 'seg_000.ts'), Buffer.from('0123456789abcdef'));
    writeFileSync(join(state, 'data', 'storage', 'report.pdf'), 'LXENC01\nnot for nginx');

    const upstreamPort = await freePort();
    upstream = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (req.url === '/video') {
        // What the app answers after authorizing: the handoff to the internal location.
        res.writeHead(200, { 'X-Accel-Redirect': '/protected_media/streamable_videos/processed/hls/seg_000.ts', 'Content-Type': 'video/mp2t' });
        return res.end();
      }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"detail":"Not found."}');
    });
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    httpsPort = await freePort();
    httpPort = await freePort();
    nginx = await startNginx(join(root, 'nginx'), renderShippedSite({ stateDir: state, host: HOST, httpsPort, httpPort, upstreamPort }), [httpsPort, httpPort]);
  });

  after(async () => {
    await nginx?.stop();
    await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
    rmSync(root, { recursive: true, force: true });
  });

  const last = () => seen[seen.length - 1];

  test('serves /static/ from the static root over TLS (HTTP/1.1 and the http2-enabled listener)', async () => {
    const r = await httpsGet(httpsPort, HOST, '/static/.vite/manifest.json');
    assert.equal(r.status, 200, nginx.errorLog());
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(r.body.toString()), { 'src/main.ts': { file: 'assets/main.js' } });
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(String(r.headers['cache-control']), /max-age=2592000/);
  });

  test('plain HTTP only redirects to HTTPS', async () => {
    const r = await new Promise<IncomingMessage>((resolveAnswer, reject) => {
      httpRequest({ host: '127.0.0.1', port: httpPort, path: '/anything', headers: { host: HOST } }, resolveAnswer).on('error', reject).end();
    });
    r.resume();
    assert.equal(r.statusCode, 301);
    assert.equal(r.headers.location, `https://${HOST}/anything`);
  });

  test('/protected_media/ is internal: a direct request gets 404 and never the file', async () => {
    const before = seen.length;
    const r = await httpsGet(httpsPort, HOST, '/protected_media/report.pdf');
    assert.equal(r.status, 404);
    assert.equal(r.body.includes(Buffer.from('not for nginx')), false);
    assert.equal(seen.length, before, 'an internal location is not proxied');
  });

  test('client-supplied X-Accel-Redirect and X-Client-Cert-Verified never reach the app; X-Forwarded-For is the peer', async () => {
    const r = await httpsGet(httpsPort, HOST, '/api/anything/', {
      headers: { 'X-Accel-Redirect': '/protected_media/report.pdf', 'X-Client-Cert-Verified': 'SUCCESS', 'X-Forwarded-For': '203.0.113.7' },
    });
    assert.equal(r.status, 404);
    const headers = last()?.headers ?? {};
    assert.equal(last()?.url, '/api/anything/');
    assert.equal(headers['x-accel-redirect'], undefined);
    assert.equal(headers['x-client-cert-verified'], undefined);
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers.host, HOST);
    assert.match(String(headers['x-request-id']), /^[0-9a-f]{32}$/);
  });

  test("the app's X-Accel-Redirect is served from the protected storage root, with byte ranges, header hidden", async () => {
    const full = await httpsGet(httpsPort, HOST, '/video');
    assert.equal(full.status, 200, nginx.errorLog());
    assert.equal(full.body.toString(), '0123456789abcdef');
    assert.equal(full.headers['x-accel-redirect'], undefined);
    const range = await httpsGet(httpsPort, HOST, '/video', { headers: { Range: 'bytes=4-7' } });
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), '4567');
    assert.equal(range.headers['content-range'], 'bytes 4-7/16');
  });

  test('hub transfers: 403 without a verified client certificate, attested to the app with one', async () => {
    const before = seen.length;
    const none = await httpsGet(httpsPort, HOST, '/api/media/hub/transfers/', { headers: { 'X-Client-Cert-Verified': 'SUCCESS' } });
    assert.equal(none.status, 403);
    const stranger = await httpsGet(httpsPort, HOST, '/api/media/hub/transfers/', { cert: pem(pki.strangerCert), key: pem(pki.strangerKey) });
    assert.equal(stranger.status, 403);
    assert.equal(seen.length, before, 'refused transfers never reach the app');

    const node = await httpsGet(httpsPort, HOST, '/api/media/hub/transfers/', { cert: pem(pki.clientCert), key: pem(pki.clientKey), headers: { 'X-Client-Cert-Verified': 'forged' } });
    assert.equal(node.status, 404, 'proxied to the app, which has no such transfer');
    assert.equal(last()?.url, '/api/media/hub/transfers/');
    assert.equal(last()?.headers['x-client-cert-verified'], 'SUCCESS');
  });

  test('outside the transfer API a client certificate is not forwarded as an attestation', async () => {
    await httpsGet(httpsPort, HOST, '/api/upload/', { cert: pem(pki.clientCert), key: pem(pki.clientKey) });
    assert.equal(last()?.url, '/api/upload/');
    assert.equal(last()?.headers['x-client-cert-verified'], undefined);
  });
});
