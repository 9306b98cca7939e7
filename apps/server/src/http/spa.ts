import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { App } from './app.js';

/**
 * The web app: built assets under `/static/` (nginx serves them in production; this is the
 * development and single-process fallback) and the HTML shell for every page path of the SPA,
 * rendered from `<static root>/.vite/manifest.json` like django-vite did. Page paths are listed
 * explicitly so that the fallback can never answer for an API route.
 */
export const SPA_PAGE_PATHS = [
  '/',
  '/anonymisierung/uebersicht',
  '/anonymisierung/validierung',
  '/anonymisierung/korrektur/:fileId',
  '/video-untersuchung',
  '/reporting/case-resolution',
  '/hub-export',
  '/nicht-berechtigt',
] as const;

/** Prefixes that belong to the server; no page path may start with one. */
export const RESERVED_PREFIXES = ['/api/', '/endoreg-api/', '/dtypes-api/', '/base_api/', '/static/', '/media/', '/oidc/', '/login/', '/healthz', '/readyz', '/protected/'] as const;

export const MANIFEST_ENTRY = 'src/main.ts';

interface ManifestChunk {
  file: string;
  css?: string[];
  imports?: string[];
  isEntry?: boolean;
}
type Manifest = Record<string, ManifestChunk>;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.mjs.map': 'application/json',
};

const escapeAttr = (v: string): string => v.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c] as string);

/** The HTML shell for a manifest: entry script, its CSS and the CSS and preloads of its static imports. */
export function renderShell(manifest: Manifest, base = '/static/'): string {
  const entry = manifest[MANIFEST_ENTRY];
  if (!entry) throw new Error(`manifest has no ${MANIFEST_ENTRY} entry`);
  const css = new Set<string>();
  const preload = new Set<string>();
  const seen = new Set<string>();
  const walk = (key: string, chunk: ManifestChunk): void => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const c of chunk.css ?? []) css.add(c);
    for (const imp of chunk.imports ?? []) {
      const child = manifest[imp];
      if (!child) continue;
      preload.add(child.file);
      walk(imp, child);
    }
  };
  walk(MANIFEST_ENTRY, entry);
  const tags = [
    ...[...css].map((f) => `<link rel="stylesheet" href="${escapeAttr(base + f)}">`),
    ...[...preload].map((f) => `<link rel="modulepreload" href="${escapeAttr(base + f)}">`),
    `<script type="module" src="${escapeAttr(base + entry.file)}"></script>`,
  ];
  return `<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LX-Annotate</title>
${tags.join('\n')}
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
}

const NOT_BUILT = `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>LX-Annotate</title></head>
<body><h1>Weboberfläche nicht installiert</h1><p>Die gebauten Dateien der Weboberfläche fehlen (<code>.vite/manifest.json</code> im Static-Verzeichnis). Entwicklung: <code>npm run build</code> bzw. <code>npm start</code>; Produktion: Release mit Web-Assets einspielen (deploy.sh).</p></body></html>
`;

export interface SpaOptions {
  readonly staticRoot: string;
}

/** Registers `/static/*` and the page paths. */
export function installSpa(app: App, options: SpaOptions): void {
  const root = resolve(options.staticRoot);
  const manifestPath = join(root, '.vite', 'manifest.json');
  let cached: { mtimeMs: number; html: string } | undefined;

  async function shell(): Promise<string | undefined> {
    let info;
    try {
      info = await stat(manifestPath);
    } catch {
      return undefined;
    }
    if (cached?.mtimeMs !== info.mtimeMs) cached = { mtimeMs: info.mtimeMs, html: renderShell(JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest) };
    return cached.html;
  }

  for (const path of SPA_PAGE_PATHS) {
    app.get(path, { config: { public: true } }, async (_request, reply) => {
      const html = await shell().catch(() => undefined);
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
      return html === undefined ? reply.code(503).send(NOT_BUILT) : reply.send(html);
    });
  }

  app.get('/static/*', { config: { public: true } }, async (request, reply) => {
    const rel = decodeURIComponent((request.params as { '*': string })['*'] ?? '');
    const file = resolve(root, rel);
    // Only files inside the static root; the manifest directory stays private.
    if (!file.startsWith(root + sep) || rel.split('/').some((p) => p.startsWith('.'))) return reply.code(404).send({ detail: 'Not found.' });
    let info;
    try {
      info = await stat(file);
    } catch {
      return reply.code(404).send({ detail: 'Not found.' });
    }
    if (!info.isFile()) return reply.code(404).send({ detail: 'Not found.' });
    // Hashed names under assets/ never change content.
    reply.header('cache-control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('content-length', String(info.size));
    reply.type(TYPES[extname(file)] ?? 'application/octet-stream');
    return reply.send(createReadStream(file));
  });
}
