#!/usr/bin/env node
// Entry point of the installed CLI: the compiled build when present, else the
// TypeScript sources through tsx (development checkouts without `npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = resolve(here, '..', 'dist', 'main', 'cli.js');
process.env.LX_ANNOTATE_CLI_MAIN = '1';
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const source = resolve(here, '..', 'src', 'main', 'cli.ts');
  const result = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', source, ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: process.cwd(),
  });
  process.exit(result.status ?? 1);
}
