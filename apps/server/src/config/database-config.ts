import { isAbsolute, resolve } from 'node:path';
import { ConfigError, describeShape } from './errors.js';
import { parseEnum, parseInteger } from './parse.js';
import { Secret } from './secret.js';
import type { EnvSources } from './sources.js';

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface SqliteConfig {
  readonly engine: 'sqlite';
  readonly file: string;
  /** Which setting chose SQLite: the embedded default, DJANGO_DB_ENGINE or DATABASE_URL. */
  readonly via: string;
}

export interface PostgresConfig {
  readonly engine: 'postgres';
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: Secret | undefined;
  readonly sslMode: SslMode;
  readonly sslRootCert: string | undefined;
  readonly via: string;
}

export type DatabaseConfig = SqliteConfig | PostgresConfig;

const POSTGRES_ENGINES = ['django.db.backends.postgresql', 'django.db.backends.postgresql_psycopg2', 'postgresql', 'postgres'] as const;
const SQLITE_ENGINES = ['django.db.backends.sqlite3', 'sqlite3', 'sqlite'] as const;

/**
 * Database selection. `DATABASE_URL` is parsed and wins; otherwise `DJANGO_DB_ENGINE`,
 * otherwise any `DJANGO_DB_NAME`/`DJANGO_DB_HOST` means PostgreSQL (the original's
 * default engine); with none of them the embedded SQLite file under the data root is used.
 */
export function resolveDatabase(sources: EnvSources, dataRoot: string): DatabaseConfig {
  const sslRootCert = sources.get('DJANGO_DB_SSLROOTCERT')?.value.trim();
  const url = sources.get('DATABASE_URL');
  if (url) return fromUrl(url.value.trim(), sources, dataRoot, sslRootCert);

  const engineHit = sources.get('DJANGO_DB_ENGINE');
  const engine = engineHit
    ? parseEnum('DJANGO_DB_ENGINE', engineHit.value, [...POSTGRES_ENGINES, ...SQLITE_ENGINES])
    : undefined;
  const nameHit = sources.get('DJANGO_DB_NAME');
  if (engine && (SQLITE_ENGINES as readonly string[]).includes(engine)) {
    const file = nameHit ? resolve(dataRoot, nameHit.value.trim()) : resolve(dataRoot, 'lx-annotate.sqlite3');
    return { engine: 'sqlite', file, via: 'DJANGO_DB_ENGINE' };
  }
  if (!engine && !nameHit && !sources.get('DJANGO_DB_HOST')) {
    return { engine: 'sqlite', file: resolve(dataRoot, 'lx-annotate.sqlite3'), via: 'embedded default' };
  }
  const password = sources.secret('DJANGO_DB_PASSWORD');
  return {
    engine: 'postgres',
    host: sources.get('DJANGO_DB_HOST')?.value.trim() ?? 'localhost',
    port: parseInteger('DJANGO_DB_PORT', sources.get('DJANGO_DB_PORT')?.value ?? '5432', 1, 65535),
    database: nameHit?.value.trim() ?? 'lx_annotate',
    user: sources.get('DJANGO_DB_USER')?.value.trim() ?? 'lx_annotate',
    password: password ? new Secret(password.value) : undefined,
    sslMode: sslMode(sources.get('DJANGO_DB_SSLMODE')?.value ?? 'require', 'DJANGO_DB_SSLMODE'),
    sslRootCert,
    via: engineHit ? 'DJANGO_DB_ENGINE' : 'DJANGO_DB_*',
  };
}

function sslMode(raw: string, variable: string): SslMode {
  const value = raw.trim().toLowerCase();
  if (value === 'prefer' || value === 'allow') {
    throw new ConfigError(variable, `"${value}"`, `${SSL_MODES.join(' | ')} (the driver has no opportunistic TLS, so ${value} would silently mean no TLS)`);
  }
  return parseEnum(variable, value, SSL_MODES);
}

function fromUrl(raw: string, sources: EnvSources, dataRoot: string, sslRootCert: string | undefined): DatabaseConfig {
  const accepted = 'postgres://user[:password]@host[:port]/database[?sslmode=…] or sqlite:///absolute/path.sqlite3';
  if (/^sqlite:/i.test(raw)) {
    const path = decodeURIComponent(raw.replace(/^sqlite:(\/\/)?/i, ''));
    if (path === '' || path === '/') throw new ConfigError('DATABASE_URL', 'a sqlite URL without a file', accepted);
    return { engine: 'sqlite', file: isAbsolute(path) ? path : resolve(dataRoot, path), via: 'DATABASE_URL' };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', describeShape(raw), accepted);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `a URL with scheme ${url.protocol}`, accepted);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || url.hostname === '') throw new ConfigError('DATABASE_URL', 'a URL without host or database', accepted);
  const urlPassword = url.password ? decodeURIComponent(url.password) : undefined;
  const filePassword = urlPassword === undefined ? sources.secret('DJANGO_DB_PASSWORD') : undefined;
  const mode = url.searchParams.get('sslmode') ?? sources.get('DJANGO_DB_SSLMODE')?.value ?? 'require';
  return {
    engine: 'postgres',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? parseInteger('DATABASE_URL', url.port, 1, 65535) : 5432,
    database,
    user: decodeURIComponent(url.username) || 'lx_annotate',
    password: urlPassword !== undefined ? new Secret(urlPassword) : filePassword ? new Secret(filePassword.value) : undefined,
    sslMode: sslMode(mode, url.searchParams.has('sslmode') ? 'DATABASE_URL' : 'DJANGO_DB_SSLMODE'),
    sslRootCert: url.searchParams.get('sslrootcert') ?? sslRootCert,
    via: 'DATABASE_URL',
  };
}
