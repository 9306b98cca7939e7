import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { buildApp, type App } from './app.js';
import { installSpa, MANIFEST_ENTRY, renderShell, RESERVED_PREFIXES, SPA_PAGE_PATHS } from './spa.js';

type T = { after: (fn: () => Promise<void>) => void };

const MANIFEST = {
  [MANIFEST_ENTRY]: { file: 'assets/main-abc.js', css: ['assets/main-abc.css'], imports: ['_shared.js'], isEntry: true },
  '_shared.js': { file: 'assets/shared-def.js', css: ['assets/shared-def.css'] },
  'src/features/segments/AnnotationPage.vue': { file: 'assets/Annotation-123.js', isDynamicEntry: true },
};

async function fixture(t: T, withManifest = true): Promise<{ app: App; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'lx-spa-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'assets'));
  await mkdir(join(root, '.vite'));
  await writeFile(join(root, 'assets', 'main-abc.js'), 'console.log("lx")');
  if (withManifest) await writeFile(join(root, '.vite', 'manifest.json'), JSON.stringify(MANIFEST));
  const app = buildApp({ logger: pino({ level: 'silent' }), trustedProxies: [] });
  app.get('/endoreg-api/ping/', { config: { public: true } }, async () => ({ ok: true }));
  installSpa(app, { staticRoot: root });
  await app.ready();
  t.after(() => app.close());
  return { app, root };
}

describe('web app serving', () => {
  it('renders the shell from the manifest: entry script, CSS of the entry and its static imports, preloads', () => {
    const html = renderShell(MANIFEST);
    assert.match(html, /<script type="module" src="\/static\/assets\/main-abc\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/assets\/main-abc\.css">/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/assets\/shared-def\.css">/);
    assert.match(html, /<link rel="modulepreload" href="\/static\/assets\/shared-def\.js">/);
    assert.doesNotMatch(html, /Annotation-123/, 'lazy pages are not in the first load');
    assert.match(html, /<html lang="de">/);
    assert.throws(() => renderShell({}), /no src\/main\.ts entry/);
  });

  it('answers every page path (history fallback) with the shell, uncached', async (t) => {
    const { app } = await fixture(t);
    for (const path of ['/', '/anonymisierung/uebersicht', '/video-untersuchung', '/anonymisierung/korrektur/17']) {
      const r = await app.inject({ method: 'GET', url: path });
      assert.equal(r.statusCode, 200, path);
      assert.match(r.headers['content-type'] as string, /text\/html/);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.match(r.body, /main-abc\.js/);
    }
  });

  it('never shadows the API: unknown API paths stay JSON 404s, known API routes answer', async (t) => {
    const { app } = await fixture(t);
    const missing = await app.inject({ method: 'GET', url: '/endoreg-api/does-not-exist/' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: 'Not found.' });
    assert.deepEqual((await app.inject({ method: 'GET', url: '/endoreg-api/ping/' })).json(), { ok: true });
    for (const page of SPA_PAGE_PATHS) {
      for (const prefix of RESERVED_PREFIXES) assert.ok(page === '/' || !page.startsWith(prefix), `${page} collides with ${prefix}`);
    }
  });

  it('serves built assets with long caching and refuses traversal and the manifest directory', async (t) => {
    const { app } = await fixture(t);
    const js = await app.inject({ method: 'GET', url: '/static/assets/main-abc.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /text\/javascript/);
    assert.match(js.headers['cache-control'] as string, /immutable/);
    assert.equal(js.body, 'console.log("lx")');
    for (const url of ['/static/../../etc/passwd', '/static/%2e%2e/%2e%2e/etc/passwd', '/static/.vite/manifest.json', '/static/assets/nope.js', '/static/assets']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url);
    }
  });

  it('says in German that the web app is not built when the manifest is missing, and picks up a new build', async (t) => {
    const { app, root } = await fixture(t, false);
    const r = await app.inject({ method: 'GET', url: '/video-untersuchung' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /Weboberfläche nicht installiert/);
    const path = join(root, '.vite', 'manifest.json');
    await writeFile(path, JSON.stringify({ [MANIFEST_ENTRY]: { file: 'assets/new-1.js' } }));
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    assert.match((await app.inject({ method: 'GET', url: '/' })).body, /assets\/new-1\.js/);
  });
});
