import { availableParallelism } from 'node:os';
import { resolveDatabase, type DatabaseConfig } from './database-config.js';
import { ConfigError, describeShape } from './errors.js';
import { normaliseHost, normaliseOrigin, parseEnum, parseFlag, parseInteger, parseList } from './parse.js';
import { resolvePaths, type RuntimePaths } from './paths.js';
import { Secret } from './secret.js';
import { readSecretFile } from './secret-file.js';
import type { EnvSources } from './sources.js';

export const DEPLOYMENT_ROLES = ['standalone', 'site_node', 'central_hub'] as const;
export type DeploymentRole = (typeof DEPLOYMENT_ROLES)[number];
export const RUNTIME_ENVS = ['production', 'development', 'test'] as const;
export type RuntimeEnv = (typeof RUNTIME_ENVS)[number];

/** The original's queue roles and their default names. */
export const QUEUE_VARIABLES = {
  default: 'CELERY_TASK_DEFAULT_QUEUE',
  pipeline: 'CELERY_PIPELINE_QUEUE',
  frame_extraction: 'CELERY_FRAME_EXTRACTION_QUEUE',
  ffmpeg_media: 'CELERY_FFMPEG_MEDIA_QUEUE',
  inference: 'CELERY_INFERENCE_QUEUE',
  model_training: 'CELERY_TRAINING_QUEUE',
  llm_inference: 'CELERY_LLM_INFERENCE_QUEUE',
  maintenance: 'CELERY_MAINTENANCE_QUEUE',
  hub_transfer: 'CELERY_HUB_TRANSFER_QUEUE',
} as const;
export type QueueRole = keyof typeof QUEUE_VARIABLES;

/** Celery's level names (case-insensitive) and the pino level each one means. */
const CELERY_LOG_LEVELS = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', fatal: 'fatal' } as const;

export const HUB_EXPORT_CLEANUP_POLICIES = ['retain_processed_media', 'eligible_after_verified_apply'] as const;

export interface OidcSettings {
  readonly baseUrl: string | undefined;
  readonly realm: string;
  readonly clientId: string;
  readonly clientSecret: Secret | undefined;
  readonly scopes: string;
  readonly signAlgorithm: string;
  readonly logoutRedirectUrl: string;
  readonly endpoints: Readonly<Record<'discovery' | 'authorization' | 'token' | 'userinfo' | 'jwks' | 'logout', string | undefined>>;
  /** True when a provider is configured (base URL or a discovery override). */
  readonly configured: boolean;
  /** Claim carrying `/centers/<center_key>` group paths (center scope). */
  readonly centerClaim: string;
}

/** Every effective setting, typed and validated. Built once at startup. */
export interface Settings {
  readonly env: RuntimeEnv;
  readonly debug: boolean;
  readonly role: DeploymentRole;
  readonly paths: RuntimePaths;
  readonly database: DatabaseConfig;
  readonly logLevel: string;
  readonly timeZone: string;
  readonly languageCode: string;
  readonly defaultCenterKey: string;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly baseUrl: string | undefined;
    readonly protocol: string;
    readonly allowedHosts: readonly string[];
    readonly csrfTrustedOrigins: readonly string[];
    readonly corsAllowedOrigins: readonly string[];
    readonly protectedMediaUrl: string;
    readonly serveWithNginx: boolean;
    readonly trustedProxies: readonly string[];
  };
  readonly auth: {
    readonly secretKey: Secret | undefined;
    readonly enforceAuth: boolean;
    readonly oidc: OidcSettings;
    readonly sessionIdleSeconds: number;
    readonly sessionAbsoluteSeconds: number;
  };
  readonly storage: {
    readonly masterKey: Secret | undefined;
    readonly masterKeyVia: string | undefined;
    readonly keyringFile: string | undefined;
  };
  readonly hub: {
    readonly enableTransfers: boolean;
    readonly requireSecureTransport: boolean;
    readonly requireMtls: boolean;
    readonly mtlsMetaKey: string;
    readonly mtlsMetaValue: string;
    readonly maxUploadBytes: number;
    /** Refuse schema 2.0 transfers (plaintext media uploads). */
    readonly requireEnvelope: boolean;
    /** X25519 private key files: the first is active (published), the rest retiring. */
    readonly recipientPrivateKeyFiles: readonly string[];
  };
  readonly hubExport: {
    readonly autoQueue: boolean;
    readonly requireMtls: boolean;
    readonly clientCertFile: string | undefined;
    readonly clientKeyFile: string | undefined;
    readonly caFile: string | undefined;
    readonly staleAfterSeconds: number;
    readonly maxRetries: number;
    readonly localCleanupPolicy: (typeof HUB_EXPORT_CLEANUP_POLICIES)[number];
    /** This node's secret towards the hub: `LX_ANNOTATE_HUB_SOURCE_NODE_SECRET_<NODEKEY>`, then the plain name (each also `_FILE`). */
    readonly sourceNodeSecret: (nodeKey: string) => Secret | undefined;
  };
  readonly watcher: {
    readonly logLevel: string;
    readonly pollIntervalSeconds: number;
    readonly stableAfterSeconds: number;
    /** Poll instead of inotify (network shares). */
    readonly usePolling: boolean;
    readonly extraArgs: string | undefined;
  };
  readonly sapImport: {
    /** Cap on the summed uncompressed size of the tables of one SAP IS-H zip. */
    readonly maxUncompressedBytes: number;
  };
  readonly media: {
    readonly ffmpeg: string;
    readonly transcodeTimeoutSeconds: number;
    readonly hlsThreads: number;
    readonly tessdataPrefix: string;
    /** Processor preset of videos whose upload names none. */
    readonly defaultProcessor: string;
  };
  readonly segments: {
    /** `LABEL_VIDEO_SEGMENT_MIN_DURATION_S_FOR_ANNOTATION`: shortest manual segment. */
    readonly minDurationSeconds: number;
    /** Frames per video second the temporal classifier samples; 0 = every frame. */
    readonly inferenceSamplesPerSecond: number;
    /** `LX_ANNOTATE_PHI_DETECTOR_MODEL`: registered ModelMeta name of the PHI-region detector; unset = none. */
    readonly phiDetectorModel: string | undefined;
    /** Cell probability from which the PHI detector's region counts as identifying text. */
    readonly phiDetectorThreshold: number;
  };
  readonly queues: Readonly<Record<QueueRole, string>>;
  readonly anonymization: {
    /** Salt of the patient and examination hashes. */
    readonly pseudonymSalt: Secret;
    /** True when no salt is configured and the original's development default is used (refused in production). */
    readonly pseudonymSaltIsDefault: boolean;
    readonly llm: { readonly endpoint: string | undefined; readonly model: string; readonly timeoutSeconds: number };
    readonly pdfMaxPages: number;
    /** What happens to the direct identifiers of a file once a person validated it. */
    readonly directIdentifierPolicy: 'retain_for_governance' | 'clear_direct_identifiers';
  };
  readonly jobs: {
    /** Days a finished job stays visible before the maintenance job purges it. */
    readonly retentionDays: number;
    /** pino level of the worker role, from the original's CELERY_LOG_LEVEL. */
    readonly workerLogLevel: string;
  };
}

const text = (sources: EnvSources, name: string, fallback: string): string => sources.get(name)?.value.trim() ?? fallback;
const optional = (sources: EnvSources, name: string): string | undefined => sources.get(name)?.value.trim();
const flag = (sources: EnvSources, name: string, fallback: boolean): boolean => {
  const hit = sources.get(name);
  return hit ? parseFlag(hit.via, hit.value) : fallback;
};
const int = (sources: EnvSources, name: string, fallback: number, min: number, max?: number): number => {
  const hit = sources.get(name);
  return hit ? parseInteger(hit.via, hit.value, min, max) : fallback;
};

const seconds = (sources: EnvSources, name: string, fallback: number, min: number, max: number): number => {
  const hit = sources.get(name);
  if (!hit) return fallback;
  const value = Number(hit.value.trim());
  if (!/^\d+(\.\d+)?$/.test(hit.value.trim()) || value < min || value > max) throw new ConfigError(hit.via, describeShape(hit.value), `seconds from ${min} to ${max}, e.g. 1.5`);
  return value;
};

const fraction = (sources: EnvSources, name: string, fallback: number): number => {
  const hit = sources.get(name);
  if (!hit) return fallback;
  const value = Number(hit.value.trim());
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(hit.value.trim()) || value <= 0) throw new ConfigError(hit.via, describeShape(hit.value), 'a number above 0 and at most 1, e.g. 0.5');
  return value;
};

/**
 * Builds the settings from the raw sources and applies every fail-fast rule.
 * Throws `ConfigError` on the first unacceptable setting; writes nothing.
 */
export function buildSettings(sources: EnvSources, options: { home?: string; webSourceDir?: string } = {}): Settings {
  const env = parseEnum('DJANGO_ENV', sources.get('DJANGO_ENV')?.value ?? 'production', RUNTIME_ENVS);
  const role = parseEnum('ENDOREG_DEPLOYMENT_ROLE', sources.get('ENDOREG_DEPLOYMENT_ROLE')?.value ?? 'standalone', DEPLOYMENT_ROLES);
  const debugHit = sources.get('DJANGO_DEBUG');
  const debug = debugHit ? parseFlag('DJANGO_DEBUG', debugHit.value, 'debug') : false;
  const production = env === 'production';

  const paths = resolvePaths(sources, options.home);
  const database = resolveDatabase(sources, paths.dataRoot);

  const hostsHit = sources.get('DJANGO_ALLOWED_HOSTS');
  const allowedHosts = hostsHit
    ? parseList(hostsHit.via, hostsHit.value).map(normaliseHost)
    : ['lx-annotate.local', 'localhost', '127.0.0.1', '[::1]'];
  const origins = (name: string): string[] => {
    const hit = sources.get(name);
    return hit ? parseList(hit.via, hit.value).map((o) => normaliseOrigin(hit.via, o)) : [];
  };
  const protectedMediaUrl = text(sources, 'NGINX_PROTECTED_MEDIA_URL', '/protected_media/');
  if (!protectedMediaUrl.startsWith('/') || !protectedMediaUrl.endsWith('/') || protectedMediaUrl.includes('..')) {
    throw new ConfigError('NGINX_PROTECTED_MEDIA_URL', `"${protectedMediaUrl}"`, 'an absolute URL path with a trailing slash, e.g. /protected_media/');
  }

  const secretKeyHit = sources.secret('DJANGO_SECRET_KEY');
  if (secretKeyHit && secretKeyHit.source !== 'file-secret' && secretKeyHit.value.length < 32) {
    throw new ConfigError(secretKeyHit.via, describeShape(secretKeyHit.value), 'at least 32 characters (or DJANGO_SECRET_KEY_FILE)');
  }

  const enforceHit = sources.get('ENFORCE_AUTH');
  const enforceAuth = enforceHit ? parseEnum('ENFORCE_AUTH', enforceHit.value, ['0', '1'] as const) === '1' : production;

  const oidcBase = optional(sources, 'KEYCLOAK_BASE_URL');
  const clientSecret = sources.secret('DJANGO_KEYCLOAK_CLIENT_SECRET', {
    isPlaceholder: (value) => value.startsWith('changeme_'),
    fileKeys: ['DJANGO_KEYCLOAK_CLIENT_SECRET', 'KEYCLOAK_CLIENT_SECRET', 'OIDC_RP_CLIENT_SECRET'],
  });
  const endpoints = {
    discovery: optional(sources, 'OIDC_OP_DISCOVERY_ENDPOINT'),
    authorization: optional(sources, 'OIDC_OP_AUTHORIZATION_ENDPOINT'),
    token: optional(sources, 'OIDC_OP_TOKEN_ENDPOINT'),
    userinfo: optional(sources, 'OIDC_OP_USER_ENDPOINT'),
    jwks: optional(sources, 'OIDC_OP_JWKS_ENDPOINT'),
    logout: optional(sources, 'OIDC_OP_LOGOUT_ENDPOINT'),
  };
  const oidc: OidcSettings = {
    baseUrl: oidcBase,
    realm: text(sources, 'KEYCLOAK_REALM', 'EndoregDb'),
    clientId: text(sources, 'OIDC_RP_CLIENT_ID', 'lx-frontend'),
    clientSecret: clientSecret && !clientSecret.value.startsWith('changeme_') ? new Secret(clientSecret.value) : undefined,
    scopes: text(sources, 'OIDC_RP_SCOPES', 'openid email profile'),
    signAlgorithm: text(sources, 'OIDC_RP_SIGN_ALGO', 'RS256'),
    logoutRedirectUrl: text(sources, 'OIDC_LOGOUT_REDIRECT_URL', '/'),
    endpoints,
    configured: oidcBase !== undefined || endpoints.discovery !== undefined,
    centerClaim: text(sources, 'OIDC_CENTER_CLAIM', 'groups'),
  };

  const masterKey = sources.secret('LX_ANNOTATE_MASTER_KEY');
  const pseudonymSalt = sources.secret('LX_ANNOTATE_PSEUDONYM_SALT');
  const llmEndpoint = optional(sources, 'LX_ANNOTATE_LLM_ENDPOINT');
  if (llmEndpoint !== undefined && !/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/i.test(llmEndpoint)) {
    throw new ConfigError('LX_ANNOTATE_LLM_ENDPOINT', `"${llmEndpoint}"`, 'an http(s) base URL such as http://127.0.0.1:11434');
  }

  const enableTransfers = flag(sources, 'ENDOREG_ENABLE_HUB_TRANSFERS', false);
  const hub = {
    enableTransfers,
    requireSecureTransport: flag(sources, 'ENDOREG_HUB_TRANSFER_REQUIRE_SECURE_TRANSPORT', true),
    requireMtls: flag(sources, 'ENDOREG_HUB_TRANSFER_REQUIRE_MTLS', role === 'central_hub'),
    mtlsMetaKey: text(sources, 'ENDOREG_HUB_TRANSFER_MTLS_META_KEY', 'HTTP_X_CLIENT_CERT_VERIFIED'),
    mtlsMetaValue: text(sources, 'ENDOREG_HUB_TRANSFER_MTLS_META_VALUE', 'SUCCESS'),
    maxUploadBytes: int(sources, 'ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES', 50 * 1024 ** 3, 1),
    requireEnvelope: flag(sources, 'ENDOREG_HUB_TRANSFER_REQUIRE_ENVELOPE', false),
    recipientPrivateKeyFiles: optional(sources, 'ENDOREG_HUB_TRANSFER_RECIPIENT_PRIVATE_KEY_FILES')
      ?.split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '') ?? [],
  };

  const queues = Object.fromEntries(
    Object.entries(QUEUE_VARIABLES).map(([queueRole, variable]) => {
      const name = text(sources, variable, queueRole);
      if (!/^[a-z0-9_.-]{1,64}$/i.test(name)) throw new ConfigError(variable, `"${name}"`, 'letters, digits, _ . - (1-64 characters)');
      return [queueRole, name];
    }),
  ) as Record<QueueRole, string>;

  const settings: Settings = {
    env,
    debug,
    role,
    paths,
    database,
    logLevel: parseEnum('LX_ANNOTATE_LOG_LEVEL', text(sources, 'LX_ANNOTATE_LOG_LEVEL', 'info'), ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const),
    timeZone: validTimeZone(text(sources, 'DJANGO_TIME_ZONE', 'UTC')),
    languageCode: text(sources, 'DJANGO_LANGUAGE_CODE', 'en-us'),
    defaultCenterKey: text(sources, 'LX_ANNOTATE_DEFAULT_CENTER', 'lx-annotate-center'),
    http: {
      host: text(sources, 'DJANGO_HOST', '127.0.0.1'),
      port: int(sources, 'DJANGO_PORT', 8000, 0, 65535),
      baseUrl: optional(sources, 'BASE_URL'),
      protocol: parseEnum('HTTP_PROTOCOL', text(sources, 'HTTP_PROTOCOL', 'https'), ['http', 'https'] as const),
      allowedHosts,
      csrfTrustedOrigins: origins('DJANGO_CSRF_TRUSTED_ORIGINS'),
      corsAllowedOrigins: origins('DJANGO_CORS_ALLOWED_ORIGINS'),
      protectedMediaUrl,
      serveWithNginx: flag(sources, 'SERVE_WITH_NGINX', false),
      trustedProxies: parseList('LX_ANNOTATE_TRUSTED_PROXIES', text(sources, 'LX_ANNOTATE_TRUSTED_PROXIES', '127.0.0.1,::1')),
    },
    auth: {
      secretKey: secretKeyHit ? new Secret(secretKeyHit.value) : undefined,
      enforceAuth,
      oidc,
      sessionIdleSeconds: int(sources, 'LX_ANNOTATE_SESSION_IDLE_SECONDS', 3600, 60, 31 * 86400),
      sessionAbsoluteSeconds: int(sources, 'LX_ANNOTATE_SESSION_ABSOLUTE_SECONDS', 43200, 300, 366 * 86400),
    },
    storage: {
      masterKey: masterKey ? new Secret(masterKey.value) : undefined,
      masterKeyVia: masterKey?.via,
      keyringFile: optional(sources, 'LX_ANNOTATE_MASTER_KEYRING_FILE'),
    },
    hub,
    hubExport: {
      autoQueue: flag(sources, 'LX_ANNOTATE_HUB_EXPORT_AUTO_QUEUE', false),
      requireMtls: flag(sources, 'LX_ANNOTATE_HUB_EXPORT_REQUIRE_MTLS', true),
      clientCertFile: optional(sources, 'LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE'),
      clientKeyFile: optional(sources, 'LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE'),
      caFile: optional(sources, 'LX_ANNOTATE_HUB_EXPORT_CA_FILE'),
      staleAfterSeconds: int(sources, 'LX_ANNOTATE_HUB_EXPORT_STALE_AFTER_SECONDS', 1800, 60),
      maxRetries: int(sources, 'LX_ANNOTATE_HUB_EXPORT_MAX_RETRIES', 5, 0),
      localCleanupPolicy: parseEnum(
        'LX_ANNOTATE_HUB_EXPORT_LOCAL_CLEANUP_POLICY',
        text(sources, 'LX_ANNOTATE_HUB_EXPORT_LOCAL_CLEANUP_POLICY', 'retain_processed_media'),
        HUB_EXPORT_CLEANUP_POLICIES,
      ),
      sourceNodeSecret: nodeSecretResolver(sources),
    },
    watcher: {
      logLevel: text(sources, 'WATCHER_LOG_LEVEL', 'INFO'),
      pollIntervalSeconds: int(sources, 'WATCHER_POLL_INTERVAL_SECONDS', 5, 1, 3600),
      stableAfterSeconds: int(sources, 'WATCHER_STABLE_AFTER_SECONDS', 10, 0, 86400),
      usePolling: flag(sources, 'WATCHER_USE_POLLING', false),
      extraArgs: optional(sources, 'LX_ANNOTATE_FILEWATCHER_ARGS'),
    },
    sapImport: { maxUncompressedBytes: int(sources, 'LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES', 2 * 1024 ** 3, 1) },
    media: {
      ffmpeg: text(sources, 'FFMPEG_EXECUTABLE', 'ffmpeg'),
      transcodeTimeoutSeconds: int(sources, 'FFMPEG_TRANSCODE_TIMEOUT_SECONDS', 3600, 1),
      hlsThreads: int(sources, 'LX_ANNOTATE_HLS_FFMPEG_THREADS', Math.max(1, availableParallelism() - 2), 1, 256),
      tessdataPrefix: text(sources, 'TESSDATA_PREFIX', '/usr/share/tesseract-ocr/5/tessdata'),
      defaultProcessor: text(sources, 'LX_ANNOTATE_DEFAULT_PROCESSOR', 'olympus_cv_1500'),
    },
    segments: {
      minDurationSeconds: seconds(sources, 'LABEL_VIDEO_SEGMENT_MIN_DURATION_S_FOR_ANNOTATION', 3, 0, 3600),
      inferenceSamplesPerSecond: int(sources, 'LX_ANNOTATE_INFERENCE_SAMPLES_PER_SECOND', 5, 0, 1000),
      phiDetectorModel: optional(sources, 'LX_ANNOTATE_PHI_DETECTOR_MODEL') || undefined,
      phiDetectorThreshold: fraction(sources, 'LX_ANNOTATE_PHI_DETECTOR_THRESHOLD', 0.5),
    },
    queues,
    anonymization: {
      // The original's fallback when DJANGO_SALT is unset; development and test only.
      pseudonymSalt: new Secret(pseudonymSalt?.value ?? 'default_salt'),
      pseudonymSaltIsDefault: pseudonymSalt === undefined || pseudonymSalt.value === 'default_salt',
      llm: { endpoint: llmEndpoint, model: text(sources, 'LX_ANNOTATE_LLM_MODEL', 'lx-gemma4-e2b-json'), timeoutSeconds: int(sources, 'LX_ANNOTATE_LLM_TIMEOUT_SECONDS', 120, 1, 3600) },
      pdfMaxPages: int(sources, 'LX_ANNOTATE_PDF_MAX_PAGES', 300, 1, 100_000),
      directIdentifierPolicy: parseEnum('LX_ANNOTATE_DIRECT_IDENTIFIER_POLICY', text(sources, 'LX_ANNOTATE_DIRECT_IDENTIFIER_POLICY', 'retain_for_governance'), ['retain_for_governance', 'clear_direct_identifiers'] as const),
    },
    jobs: {
      retentionDays: int(sources, 'LX_ANNOTATE_JOBS_RETENTION_DAYS', 14, 1, 3650),
      workerLogLevel: CELERY_LOG_LEVELS[parseEnum('CELERY_LOG_LEVEL', text(sources, 'CELERY_LOG_LEVEL', 'INFO'), Object.keys(CELERY_LOG_LEVELS) as (keyof typeof CELERY_LOG_LEVELS)[])],
    },
  };

  enforceRoleContract(settings, sources);
  if (production) enforceProductionContract(settings, sources, options.webSourceDir);
  return settings;
}

function validTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    throw new ConfigError('DJANGO_TIME_ZONE', `"${zone}"`, 'an IANA time zone such as UTC or Europe/Berlin');
  }
}

/** §1.2: the per-node variable first, then the shared one; each literal before its `_FILE`, read when asked. */
function nodeSecretResolver(sources: EnvSources): (nodeKey: string) => Secret | undefined {
  return (nodeKey) => {
    const specific = `LX_ANNOTATE_HUB_SOURCE_NODE_SECRET_${nodeKey.toUpperCase().replace(/-/g, '_')}`;
    const literal = sources.raw(specific);
    if (literal) return new Secret(literal.value);
    const file = sources.raw(`${specific}_FILE`);
    if (file) return new Secret(readSecretFile(`${specific}_FILE`, file.value.trim()));
    const shared = sources.secret('LX_ANNOTATE_HUB_SOURCE_NODE_SECRET');
    return shared ? new Secret(shared.value) : undefined;
  };
}

/** §1.4 hub rules, run for every environment, plus our own: no hub on SQLite. */
function enforceRoleContract(settings: Settings, sources: EnvSources): void {
  const { role, hub } = settings;
  if (hub.enableTransfers && role !== 'central_hub') {
    throw new ConfigError('ENDOREG_ENABLE_HUB_TRANSFERS', `true with ENDOREG_DEPLOYMENT_ROLE=${role}`, 'true only with ENDOREG_DEPLOYMENT_ROLE=central_hub');
  }
  if (role !== 'central_hub') return;
  if (!hub.requireSecureTransport) {
    throw new ConfigError('ENDOREG_HUB_TRANSFER_REQUIRE_SECURE_TRANSPORT', 'false for central_hub', 'true (a hub only receives over HTTPS)');
  }
  if (!hub.requireMtls) {
    throw new ConfigError('ENDOREG_HUB_TRANSFER_REQUIRE_MTLS', 'false for central_hub', 'true (a hub requires proxy-verified client certificates)');
  }
  if (!/^HTTP_[A-Z0-9_]+$/.test(hub.mtlsMetaKey)) {
    throw new ConfigError('ENDOREG_HUB_TRANSFER_MTLS_META_KEY', `"${hub.mtlsMetaKey}"`, 'a request header in META form, e.g. HTTP_X_CLIENT_CERT_VERIFIED');
  }
  if (hub.mtlsMetaValue === '') {
    throw new ConfigError('ENDOREG_HUB_TRANSFER_MTLS_META_VALUE', 'an empty value for central_hub', 'the value nginx sets on success, e.g. SUCCESS');
  }
  if (settings.database.engine === 'sqlite' && settings.env !== 'test') {
    throw new ConfigError('DJANGO_DB_ENGINE', `SQLite (${settings.database.via}) for central_hub`, 'PostgreSQL via DJANGO_DB_* or DATABASE_URL (SQLite is not a hub database)');
  }
  if (settings.env === 'production') {
    if (!sources.raw('LX_ANNOTATE_ENCRYPTED_DATA_DIR')) {
      throw new ConfigError('LX_ANNOTATE_ENCRYPTED_DATA_DIR', 'no value for central_hub', 'the protected data mount, e.g. /var/lib/lx-annotate/data');
    }
    if (!sources.raw('DJANGO_DB_NAME') && !sources.raw('DATABASE_URL')) {
      throw new ConfigError('DJANGO_DB_NAME', 'no value (and no DATABASE_URL) for central_hub', 'an explicit database name or DATABASE_URL');
    }
  }
}

function enforceProductionContract(settings: Settings, sources: EnvSources, webSourceDir: string | undefined): void {
  if (settings.debug) throw new ConfigError('DJANGO_DEBUG', 'true in production', '0 (debug mode is only for DJANGO_ENV=development)');
  const key = settings.auth.secretKey?.reveal();
  if (!key) throw new ConfigError('DJANGO_SECRET_KEY', 'no value in production', 'at least 32 random characters in DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE');
  if (key.startsWith('***UNSAFE') || key.startsWith('django-insecure') || key.startsWith('change-me')) {
    throw new ConfigError(sources.consulted.get('DJANGO_SECRET_KEY')?.via ?? 'DJANGO_SECRET_KEY', 'a placeholder value', 'at least 32 random characters');
  }
  if (settings.http.allowedHosts.length === 0) throw new ConfigError('DJANGO_ALLOWED_HOSTS', 'an empty list in production', 'the public host names');
  if (settings.http.csrfTrustedOrigins.length === 0) throw new ConfigError('DJANGO_CSRF_TRUSTED_ORIGINS', 'an empty list in production', 'the public https origins');
  if (settings.http.corsAllowedOrigins.length === 0) throw new ConfigError('DJANGO_CORS_ALLOWED_ORIGINS', 'an empty list in production', 'the public https origins');
  if (settings.auth.oidc.configured && !settings.auth.oidc.clientSecret) {
    throw new ConfigError('DJANGO_KEYCLOAK_CLIENT_SECRET', 'no value while OIDC is configured in production', 'the client secret in DJANGO_KEYCLOAK_CLIENT_SECRET(_FILE) or OIDC_RP_CLIENT_SECRET');
  }
  if (settings.database.engine === 'postgres' && !settings.database.password) {
    throw new ConfigError('DJANGO_DB_PASSWORD', 'no value in production', 'the database password in DJANGO_DB_PASSWORD(_FILE) or DATABASE_URL');
  }
  if (settings.anonymization.pseudonymSaltIsDefault) {
    throw new ConfigError('LX_ANNOTATE_PSEUDONYM_SALT', 'no value (or the development default) in production', 'the secret hash salt in LX_ANNOTATE_PSEUDONYM_SALT(_FILE) or DJANGO_SALT');
  }
  if (webSourceDir && settings.paths.staticRoot === webSourceDir) {
    throw new ConfigError('DJANGO_STATIC_ROOT', 'the web app source directory', 'a separate directory for built assets');
  }
}
