import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/index.js';

/** A private data root for one test. */
export function tempDataRoot(prefix = 'lx-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Loads configuration from exactly the given environment (never the test
 * process's own), with an isolated home and app root so no stray env file is read.
 */
export function configFrom(env: Record<string, string | undefined>, options: { appRoot?: string; home?: string } = {}): LoadedConfig {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'lx-home-'));
  return loadConfig({ processEnv: env, appRoot: options.appRoot ?? home, home });
}

/** A minimal valid production environment for a standalone site. */
export function productionEnv(dataRoot: string): Record<string, string> {
  return {
    DJANGO_ENV: 'production',
    LX_ANNOTATE_ENCRYPTED_DATA_DIR: dataRoot,
    DJANGO_SECRET_KEY: 'k'.repeat(24) + 'Qx7!pZ2@vL9#mN4$',
    DJANGO_ALLOWED_HOSTS: 'lx.example.org',
    DJANGO_CSRF_TRUSTED_ORIGINS: 'https://lx.example.org',
    DJANGO_CORS_ALLOWED_ORIGINS: 'https://lx.example.org',
    LX_ANNOTATE_PSEUDONYM_SALT: 'test-pseudonym-salt-7f3a',
  };
}
