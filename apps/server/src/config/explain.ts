import type { LoadedConfig } from './load.js';
import type { Settings } from './settings.js';
import { QUEUE_VARIABLES } from './settings.js';
import type { SourceKind } from './sources.js';
import { VARIABLES } from './variables.js';

export interface ExplainEntry {
  readonly name: string;
  /** Display value; secrets are only ever `(set)` or `(not set)`. */
  readonly value: string;
  readonly source: SourceKind | 'unset';
  readonly via: string | undefined;
  readonly secret: boolean;
}

/** The effective value of each declared variable, as the running system sees it. */
function effectiveValues(s: Settings): Record<string, string | undefined> {
  const list = (xs: readonly string[]): string => xs.join(',');
  const db = s.database;
  const values: Record<string, string | undefined> = {
    LX_ANNOTATE_ENCRYPTED_DATA_DIR: s.paths.dataRoot,
    LX_ANNOTATE_DATA_DIR: s.paths.dataRoot,
    DATA_DIR: s.paths.dataRoot,
    STORAGE_DIR: s.paths.storageDir,
    IO_DIR: s.paths.ioDir,
    PROTECTED_MEDIA_ROOT: s.paths.protectedMediaRoot,
    LX_ANNOTATE_STREAMABLE_VIDEO_ROOT: s.paths.streamableRoot,
    LX_ANNOTATE_STREAMABLE_VIDEO_RAW_ROOT: s.paths.streamableRawRoot,
    LX_ANNOTATE_STREAMABLE_VIDEO_PROCESSED_ROOT: s.paths.streamableProcessedRoot,
    LX_ANNOTATE_QUARANTINE_DIR: s.paths.quarantineDir,
    LX_ANNOTATE_EXPORT_FRAMES_OUTPUT_DIR: s.paths.exportFramesDir,
    DJANGO_STATIC_ROOT: s.paths.staticRoot,
    WATCHER_VIDEO_DIR: s.paths.importDirs.video,
    WATCHER_REPORT_DIR: s.paths.importDirs.report,
    WATCHER_PREANONYMIZED_DIR: s.paths.importDirs.preanonymized,
    DJANGO_ENV: s.env,
    DJANGO_DEBUG: s.debug ? '1' : '0',
    ENDOREG_DEPLOYMENT_ROLE: s.role,
    DJANGO_TIME_ZONE: s.timeZone,
    DJANGO_LANGUAGE_CODE: s.languageCode,
    LX_ANNOTATE_LOG_LEVEL: s.logLevel,
    LX_ANNOTATE_DEFAULT_CENTER: s.defaultCenterKey,
    TESSDATA_PREFIX: s.media.tessdataPrefix,
    FFMPEG_EXECUTABLE: s.media.ffmpeg,
    FFMPEG_TRANSCODE_TIMEOUT_SECONDS: String(s.media.transcodeTimeoutSeconds),
    LX_ANNOTATE_HLS_FFMPEG_THREADS: String(s.media.hlsThreads),
    LX_ANNOTATE_PDF_MAX_PAGES: String(s.anonymization.pdfMaxPages),
    LX_ANNOTATE_LLM_ENDPOINT: s.anonymization.llm.endpoint,
    LX_ANNOTATE_LLM_MODEL: s.anonymization.llm.model,
    LX_ANNOTATE_LLM_TIMEOUT_SECONDS: String(s.anonymization.llm.timeoutSeconds),
    DJANGO_HOST: s.http.host,
    DJANGO_PORT: String(s.http.port),
    BASE_URL: s.http.baseUrl,
    HTTP_PROTOCOL: s.http.protocol,
    DJANGO_ALLOWED_HOSTS: list(s.http.allowedHosts),
    DJANGO_CSRF_TRUSTED_ORIGINS: list(s.http.csrfTrustedOrigins),
    DJANGO_CORS_ALLOWED_ORIGINS: list(s.http.corsAllowedOrigins),
    NGINX_PROTECTED_MEDIA_URL: s.http.protectedMediaUrl,
    SERVE_WITH_NGINX: s.http.serveWithNginx ? '1' : '0',
    LX_ANNOTATE_TRUSTED_PROXIES: list(s.http.trustedProxies),
    DJANGO_DB_ENGINE: db.engine === 'sqlite' ? `sqlite (${db.file})` : 'postgresql',
    DJANGO_DB_NAME: db.engine === 'postgres' ? db.database : undefined,
    DJANGO_DB_USER: db.engine === 'postgres' ? db.user : undefined,
    DJANGO_DB_HOST: db.engine === 'postgres' ? db.host : undefined,
    DJANGO_DB_PORT: db.engine === 'postgres' ? String(db.port) : undefined,
    DJANGO_DB_SSLMODE: db.engine === 'postgres' ? db.sslMode : undefined,
    DJANGO_DB_SSLROOTCERT: db.engine === 'postgres' ? db.sslRootCert : undefined,
    ENFORCE_AUTH: s.auth.enforceAuth ? '1' : '0',
    KEYCLOAK_BASE_URL: s.auth.oidc.baseUrl,
    KEYCLOAK_REALM: s.auth.oidc.realm,
    OIDC_RP_CLIENT_ID: s.auth.oidc.clientId,
    OIDC_RP_SCOPES: s.auth.oidc.scopes,
    OIDC_RP_SIGN_ALGO: s.auth.oidc.signAlgorithm,
    OIDC_LOGOUT_REDIRECT_URL: s.auth.oidc.logoutRedirectUrl,
    OIDC_CENTER_CLAIM: s.auth.oidc.centerClaim,
    LX_ANNOTATE_SESSION_IDLE_SECONDS: String(s.auth.sessionIdleSeconds),
    LX_ANNOTATE_SESSION_ABSOLUTE_SECONDS: String(s.auth.sessionAbsoluteSeconds),
    OIDC_OP_DISCOVERY_ENDPOINT: s.auth.oidc.endpoints.discovery,
    OIDC_OP_AUTHORIZATION_ENDPOINT: s.auth.oidc.endpoints.authorization,
    OIDC_OP_TOKEN_ENDPOINT: s.auth.oidc.endpoints.token,
    OIDC_OP_USER_ENDPOINT: s.auth.oidc.endpoints.userinfo,
    OIDC_OP_JWKS_ENDPOINT: s.auth.oidc.endpoints.jwks,
    OIDC_OP_LOGOUT_ENDPOINT: s.auth.oidc.endpoints.logout,
    LX_ANNOTATE_MASTER_KEYRING_FILE: s.storage.keyringFile,
    ENDOREG_ENABLE_HUB_TRANSFERS: s.hub.enableTransfers ? '1' : '0',
    ENDOREG_HUB_TRANSFER_REQUIRE_SECURE_TRANSPORT: s.hub.requireSecureTransport ? '1' : '0',
    ENDOREG_HUB_TRANSFER_REQUIRE_MTLS: s.hub.requireMtls ? '1' : '0',
    ENDOREG_HUB_TRANSFER_MTLS_META_KEY: s.hub.mtlsMetaKey,
    ENDOREG_HUB_TRANSFER_MTLS_META_VALUE: s.hub.mtlsMetaValue,
    ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES: String(s.hub.maxUploadBytes),
    ENDOREG_HUB_TRANSFER_REQUIRE_ENVELOPE: s.hub.requireEnvelope ? '1' : '0',
    ENDOREG_HUB_TRANSFER_RECIPIENT_PRIVATE_KEY_FILES: s.hub.recipientPrivateKeyFiles.length > 0 ? s.hub.recipientPrivateKeyFiles.join(',') : undefined,
    LX_ANNOTATE_HUB_EXPORT_AUTO_QUEUE: s.hubExport.autoQueue ? '1' : '0',
    LX_ANNOTATE_HUB_EXPORT_REQUIRE_MTLS: s.hubExport.requireMtls ? '1' : '0',
    LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE: s.hubExport.clientCertFile,
    LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE: s.hubExport.clientKeyFile,
    LX_ANNOTATE_HUB_EXPORT_CA_FILE: s.hubExport.caFile,
    LX_ANNOTATE_HUB_EXPORT_STALE_AFTER_SECONDS: String(s.hubExport.staleAfterSeconds),
    LX_ANNOTATE_HUB_EXPORT_MAX_RETRIES: String(s.hubExport.maxRetries),
    LX_ANNOTATE_HUB_EXPORT_LOCAL_CLEANUP_POLICY: s.hubExport.localCleanupPolicy,
    WATCHER_LOG_LEVEL: s.watcher.logLevel,
    WATCHER_POLL_INTERVAL_SECONDS: String(s.watcher.pollIntervalSeconds),
    WATCHER_STABLE_AFTER_SECONDS: String(s.watcher.stableAfterSeconds),
    WATCHER_USE_POLLING: s.watcher.usePolling ? '1' : '0',
    LX_ANNOTATE_FILEWATCHER_ARGS: s.watcher.extraArgs,
    LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES: String(s.sapImport.maxUncompressedBytes),
    LX_ANNOTATE_JOBS_RETENTION_DAYS: String(s.jobs.retentionDays),
  };
  for (const [queueRole, variable] of Object.entries(QUEUE_VARIABLES)) values[variable] = s.queues[queueRole as keyof typeof QUEUE_VARIABLES];
  return values;
}

/** One entry per declared variable; secrets never carry their value. */
export function explain(config: LoadedConfig): ExplainEntry[] {
  const values = effectiveValues(config.settings);
  return VARIABLES.map((decl) => {
    const hit = decl.secret
      ? config.sources.consulted.get(decl.name) ?? (decl.fileVariant ? config.sources.raw(`${decl.name}_FILE`) : undefined)
      : config.sources.get(decl.name);
    const effective = values[decl.name] ?? hit?.value;
    const secret = decl.secret === true;
    let source: ExplainEntry['source'] = hit?.source ?? (effective !== undefined ? (decl.default !== undefined ? 'default' : 'derived') : 'unset');
    if (hit?.source === 'file-secret' || (secret && hit?.via.endsWith('_FILE'))) source = 'file-secret';
    return {
      name: decl.name,
      value: secret ? (hit ? '(set)' : '(not set)') : effective ?? '',
      source,
      via: hit && hit.via !== decl.name ? hit.via : undefined,
      secret,
    };
  });
}

export function formatExplain(config: LoadedConfig): string {
  const entries = explain(config);
  const width = Math.max(...entries.map((e) => e.name.length));
  const lines = [
    `# env file: ${config.envFile ?? '(none found)'}`,
    '# precedence: process environment > env file > default; secrets are never shown',
    ...entries.map((e) => `${e.name.padEnd(width)}  ${e.value === '' ? '(empty)' : e.value}  [${e.source}${e.via ? ` via ${e.via}` : ''}]`),
  ];
  return `${lines.join('\n')}\n`;
}
