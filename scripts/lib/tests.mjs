import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './system.mjs';

const SKIP = new Set(['node_modules', 'dist', '.git', '.data', 'testdata']);

/** Every `*.test.ts` below the given roots, sorted (Node 20's runner does not glob). */
export function findTests(roots, suffix = '.test.ts') {
  const out = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (SKIP.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(suffix)) out.push(relative(ROOT, path));
    }
  };
  for (const r of roots) walk(join(ROOT, r));
  return out.sort();
}
