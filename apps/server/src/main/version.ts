import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { APP_ROOT } from '../config/index.js';

/** The release version from the root package.json. */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(resolve(APP_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
