// The built web app: `apps/web/dist` (vite, with `.vite/manifest.json`), rebuilt only when a source
// is newer than the manifest, and copied into a static root the server serves (`/static/`).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from './system.mjs';

export const WEB_DIR = join(ROOT, 'apps', 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');
const MANIFEST = join(WEB_DIST, '.vite', 'manifest.json');

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when the build is missing or any web source (or the contracts it imports) changed since. */
export function webBuildStale() {
  if (!existsSync(MANIFEST)) return true;
  const built = statSync(MANIFEST).mtimeMs;
  const sources = [join(WEB_DIR, 'src'), join(WEB_DIR, 'vite.config.ts'), join(WEB_DIR, 'package.json'), join(ROOT, 'packages', 'contracts', 'src')];
  return sources.some((p) => existsSync(p) && newestMtime(p) > built);
}

/** Builds apps/web when stale; returns the dist directory. Throws when the build fails. */
export function ensureWebBuild({ say = () => undefined, force = false } = {}) {
  if (!force && !webBuildStale()) return WEB_DIST;
  say('building the web app (vite)…');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: WEB_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`web build failed (vite exited ${r.status})`);
  return WEB_DIST;
}

/** Replaces `staticRoot` with a copy of `dist` (copy beside it, then rename: never a half-copied root). */
export function syncStatic(dist, staticRoot) {
  const target = resolve(staticRoot);
  mkdirSync(dirname(target), { recursive: true });
  const incoming = `${target}.incoming-${process.pid}`;
  const old = `${target}.old-${process.pid}`;
  rmSync(incoming, { recursive: true, force: true });
  cpSync(dist, incoming, { recursive: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(incoming, target);
  // The permission contract of the static root (lx-annotate check): 0775.
  chmodSync(target, 0o775);
  rmSync(old, { recursive: true, force: true });
  return target;
}
