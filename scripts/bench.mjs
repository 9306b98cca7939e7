// `npm run bench [-- <name>]`: runs bench/<name>.bench.ts (all when no name), each
// printing its measurements side by side with a reference measured in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureNodeModules, ROOT } from './lib/system.mjs';

ensureNodeModules();
const dir = resolve(ROOT, 'bench');
const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')) : [];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = wanted.length > 0 ? wanted : all;
if (names.length === 0) {
  process.stdout.write('no benchmarks in bench/\n');
  process.exit(0);
}
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    process.stderr.write(`unknown benchmark "${name}"; available: ${all.join(', ') || '(none)'}\n`);
    failed += 1;
    continue;
  }
  process.stdout.write(`\n== bench ${name}\n`);
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', '--expose-gc', resolve(dir, `${name}.bench.ts`)], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
