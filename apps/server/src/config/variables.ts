/**
 * The one declaration of every environment variable the system reads.
 * `deploy/.env.systemd.example` and `lx-annotate config --explain` are generated from it.
 */
export interface VariableDeclaration {
  /** Canonical name. */
  readonly name: string;
  /** Older names accepted for the same setting, tried after the canonical name. */
  readonly aliases?: readonly string[];
  /** One line for operators. */
  readonly description: string;
  /** Default as text for documentation; `undefined` means unset or derived. */
  readonly default?: string;
  /** Never printed, logged or echoed in an error. */
  readonly secret?: boolean;
  /** A `<NAME>_FILE` variant holds the value in a file. */
  readonly fileVariant?: boolean;
  /** Section of the example env file. */
  readonly group: VariableGroup;
  /** Value shown in the example env file (commented out when absent). */
  readonly example?: string;
}

export type VariableGroup =
  | 'paths'
  | 'runtime'
  | 'http'
  | 'database'
  | 'auth'
  | 'storage'
  | 'hub'
  | 'hub-export'
  | 'ingest'
  | 'media'
  | 'jobs';

const v = (decl: VariableDeclaration): VariableDeclaration => decl;

export const VARIABLES: readonly VariableDeclaration[] = [
  // paths
  v({ name: 'LX_ANNOTATE_ENCRYPTED_DATA_DIR', group: 'paths', description: 'Canonical protected runtime root (all patient data lives below it); required for central_hub in production', example: '/var/lib/lx-annotate/data' }),
  v({ name: 'LX_ANNOTATE_DATA_DIR', group: 'paths', description: 'Compatibility alias for LX_ANNOTATE_ENCRYPTED_DATA_DIR' }),
  v({ name: 'DATA_DIR', group: 'paths', description: 'Legacy compatibility alias for LX_ANNOTATE_ENCRYPTED_DATA_DIR' }),
  v({ name: 'XDG_DATA_HOME', group: 'paths', description: 'Parent of the fallback data root <XDG_DATA_HOME>/lx-annotate', default: '~/.local/share' }),
  v({ name: 'STORAGE_DIR', group: 'paths', description: 'Managed storage subtree; must stay inside the protected root', default: '<data root>/storage' }),
  v({ name: 'IO_DIR', group: 'paths', description: 'Root of the import drop directories; must stay inside the protected root', default: '<data root>' }),
  v({ name: 'PROTECTED_MEDIA_ROOT', group: 'paths', description: 'Directory that nginx serves as the internal /protected_media/ location; must stay inside the protected root', default: '<STORAGE_DIR>' }),
  v({ name: 'LX_ANNOTATE_STREAMABLE_VIDEO_ROOT', group: 'paths', description: 'Plaintext-on-disk streamable video and HLS output for nginx', default: '<STORAGE_DIR>/streamable_videos' }),
  v({ name: 'LX_ANNOTATE_STREAMABLE_VIDEO_RAW_ROOT', group: 'paths', description: 'Streamable raw videos', default: '<streamable root>/raw' }),
  v({ name: 'LX_ANNOTATE_STREAMABLE_VIDEO_PROCESSED_ROOT', group: 'paths', description: 'Streamable processed (anonymized) videos', default: '<streamable root>/processed' }),
  v({ name: 'LX_ANNOTATE_QUARANTINE_DIR', group: 'paths', description: 'Where failed imports are moved', default: '<data root>/quarantine' }),
  v({ name: 'LX_ANNOTATE_EXPORT_FRAMES_OUTPUT_DIR', group: 'paths', description: 'Frame export output', default: '<STORAGE_DIR>/export/frames' }),
  v({ name: 'DJANGO_STATIC_ROOT', group: 'paths', description: 'Built web assets (served by nginx under /static/)', default: '<parent of a data root named data>/staticfiles, else <data root>/staticfiles', example: '/var/lib/lx-annotate/staticfiles' }),
  v({ name: 'WATCHER_VIDEO_DIR', group: 'paths', description: 'Video drop directory', default: '<IO_DIR>/import/video_import' }),
  v({ name: 'WATCHER_REPORT_DIR', group: 'paths', description: 'Report drop directory', default: '<IO_DIR>/import/report_import' }),
  v({ name: 'WATCHER_PREANONYMIZED_DIR', group: 'paths', description: 'Preanonymized drop directory', default: '<IO_DIR>/import/preanonymized_import' }),
  v({ name: 'HOME_DIR', group: 'paths', description: 'Service user home (informational)' }),
  v({ name: 'LX_ANNOTATE_ENV_FILE', group: 'paths', description: 'Explicit env file path; overrides the candidate search (.env.systemd beside or inside the data root)' }),

  // runtime
  v({ name: 'DJANGO_ENV', group: 'runtime', description: 'production (default, all safety checks), development (the README start command) or test', default: 'production', example: 'production' }),
  v({ name: 'DJANGO_DEBUG', group: 'runtime', description: 'Debug mode; refused in production', default: '0' }),
  v({ name: 'ENDOREG_DEPLOYMENT_ROLE', group: 'runtime', description: 'standalone | site_node | central_hub', default: 'standalone', example: 'standalone' }),
  v({ name: 'DJANGO_TIME_ZONE', aliases: ['TIME_ZONE'], group: 'runtime', description: 'IANA time zone for display', default: 'UTC' }),
  v({ name: 'DJANGO_LANGUAGE_CODE', group: 'runtime', description: 'Language code', default: 'en-us' }),
  v({ name: 'LX_ANNOTATE_LOG_LEVEL', group: 'runtime', description: 'Log level of the server process', default: 'info' }),
  v({ name: 'LX_ANNOTATE_DEFAULT_CENTER', group: 'runtime', description: 'center_key of the default center for trusted local drop directories', default: 'lx-annotate-center', example: 'lx-annotate-center' }),
  v({ name: 'TESSDATA_PREFIX', group: 'media', description: 'Tesseract language data directory', default: '/usr/share/tesseract-ocr/5/tessdata', example: '/usr/share/tesseract-ocr/5/tessdata' }),
  v({ name: 'PYTORCH_ALLOC_CONF', group: 'media', description: 'Kept for compatibility with the original deployment; unused here', example: 'expandable_segments:True' }),
  v({ name: 'FFMPEG_EXECUTABLE', aliases: ['FFMPEG_BINARY', 'FFMPEG_PATH'], group: 'media', description: 'ffmpeg binary', default: 'ffmpeg' }),
  v({ name: 'FFMPEG_TRANSCODE_TIMEOUT_SECONDS', group: 'media', description: 'Upper bound for one ffmpeg run', default: '3600' }),
  v({ name: 'LX_ANNOTATE_HLS_FFMPEG_THREADS', group: 'media', description: 'HLS encoder threads', default: 'CPUs-2 (min 1)' }),
  v({ name: 'LX_ANNOTATE_DEFAULT_PROCESSOR', group: 'media', description: 'Processor preset of videos whose upload names none (base data name, e.g. olympus_cv_1500)', default: 'olympus_cv_1500', example: 'olympus_cv_1500' }),
  v({ name: 'LX_ANNOTATE_PDF_MAX_PAGES', group: 'media', description: 'Report PDFs with more pages are refused (PDF bomb guard)', default: '300' }),
  v({ name: 'LX_ANNOTATE_LLM_ENDPOINT', group: 'media', description: 'Ollama-compatible endpoint on premises for the optional report metadata extractor (used only when the rules find nothing); unset = rules only', example: 'http://127.0.0.1:11434' }),
  v({ name: 'LX_ANNOTATE_LLM_MODEL', group: 'media', description: 'Model name for the report metadata extractor', default: 'lx-gemma4-e2b-json' }),
  v({ name: 'LX_ANNOTATE_LLM_TIMEOUT_SECONDS', group: 'media', description: 'Upper bound for one LLM extraction request', default: '120' }),
  v({ name: 'LABEL_VIDEO_SEGMENT_MIN_DURATION_S_FOR_ANNOTATION', group: 'media', description: 'Shortest manual video segment in seconds (creating or resizing below it is refused)', default: '3' }),
  v({ name: 'LX_ANNOTATE_INFERENCE_SAMPLES_PER_SECOND', group: 'media', description: 'Frames per video second the temporal AI classifier looks at (0 = every frame)', default: '5' }),
  v({ name: 'LX_ANNOTATE_PHI_DETECTOR_MODEL', group: 'media', description: 'Name of the registered PHI-region detector (models register --kind phi_detector); unset = detector_assisted and automatic frame removal are refused' }),
  v({ name: 'LX_ANNOTATE_PHI_DETECTOR_THRESHOLD', group: 'media', description: 'PHI detector cell probability (0..1] from which a region is masked and a frame inside the image is removed', default: '0.5' }),

  // http
  v({ name: 'DJANGO_HOST', group: 'http', description: 'Bind address of the web process', default: '127.0.0.1', example: '127.0.0.1' }),
  v({ name: 'DJANGO_PORT', group: 'http', description: 'Bind port of the web process', default: '8000', example: '8000' }),
  v({ name: 'BASE_URL', group: 'http', description: 'Public https URL of this site (used by the acceptance smoke)', example: 'https://lx-annotate.example.org' }),
  v({ name: 'HTTP_PROTOCOL', group: 'http', description: 'Public scheme', default: 'https' }),
  v({ name: 'DJANGO_ALLOWED_HOSTS', aliases: ['ALLOWED_HOSTS'], group: 'http', description: 'Host names this server answers for (JSON list, Python list or comma-separated)', default: 'lx-annotate.local,localhost,127.0.0.1,[::1]', example: 'lx-annotate.example.org' }),
  v({ name: 'DJANGO_CSRF_TRUSTED_ORIGINS', group: 'http', description: 'Origins trusted for unsafe requests; required in production', example: 'https://lx-annotate.example.org' }),
  v({ name: 'DJANGO_CORS_ALLOWED_ORIGINS', group: 'http', description: 'Origins allowed by CORS with credentials (no wildcard); required in production', example: 'https://lx-annotate.example.org' }),
  v({ name: 'NGINX_PROTECTED_MEDIA_URL', group: 'http', description: 'Internal nginx location of the protected media root', default: '/protected_media/' }),
  v({ name: 'SERVE_WITH_NGINX', group: 'http', description: 'Answer authorized plaintext media with X-Accel-Redirect instead of streaming it', default: '0', example: '1' }),
  v({ name: 'LX_ANNOTATE_TRUSTED_PROXIES', group: 'http', description: 'Addresses of the reverse proxy whose X-Forwarded-* headers are trusted', default: '127.0.0.1,::1' }),

  // database
  v({ name: 'DATABASE_URL', group: 'database', description: 'postgres://user:pass@host:port/db?sslmode=… or sqlite:///abs/path.sqlite3; wins over DJANGO_DB_*', secret: true }),
  v({ name: 'DJANGO_DB_ENGINE', group: 'database', description: 'postgresql or sqlite (Django names accepted); without any DB setting the embedded SQLite file is used', example: 'django.db.backends.postgresql' }),
  v({ name: 'DJANGO_DB_NAME', group: 'database', description: 'PostgreSQL database (or SQLite file with engine sqlite)', default: 'lx_annotate', example: 'lx_annotate' }),
  v({ name: 'DJANGO_DB_USER', group: 'database', description: 'PostgreSQL user', default: 'lx_annotate', example: 'lx_annotate' }),
  v({ name: 'DJANGO_DB_PASSWORD', group: 'database', description: 'PostgreSQL password', secret: true, fileVariant: true, example: 'change-me' }),
  v({ name: 'DJANGO_DB_HOST', group: 'database', description: 'PostgreSQL host', default: 'localhost', example: 'localhost' }),
  v({ name: 'DJANGO_DB_PORT', group: 'database', description: 'PostgreSQL port', default: '5432', example: '5432' }),
  v({ name: 'DJANGO_DB_SSLMODE', group: 'database', description: 'disable | require | verify-ca | verify-full', default: 'require', example: 'require' }),
  v({ name: 'DJANGO_DB_SSLROOTCERT', group: 'database', description: 'CA bundle for verify-ca / verify-full' }),

  // auth
  v({ name: 'DJANGO_SECRET_KEY', group: 'auth', description: 'Signing key for sessions and CSRF tokens (at least 32 characters)', secret: true, fileVariant: true, example: 'change-me-to-64-random-characters' }),
  v({ name: 'ENFORCE_AUTH', group: 'auth', description: 'Exactly 1 enables authentication; production default 1', default: 'production: 1, development: 0' }),
  v({ name: 'KEYCLOAK_BASE_URL', aliases: ['KEYCLOAK_SERVER_URL', 'DJANGO_KEYCLOAK_SERVER_URL'], group: 'auth', description: 'Keycloak base URL (OpenID Connect); unset = local accounts only' }),
  v({ name: 'KEYCLOAK_REALM', group: 'auth', description: 'Keycloak realm', default: 'EndoregDb' }),
  v({ name: 'OIDC_RP_CLIENT_ID', aliases: ['DJANGO_KEYCLOAK_CLIENT_ID', 'KEYCLOAK_CLIENT_ID'], group: 'auth', description: 'OIDC client id', default: 'lx-frontend' }),
  v({ name: 'DJANGO_KEYCLOAK_CLIENT_SECRET', aliases: ['OIDC_RP_CLIENT_SECRET', 'KEYCLOAK_CLIENT_SECRET'], group: 'auth', description: 'OIDC client secret; required in production when OIDC is configured', secret: true, fileVariant: true }),
  v({ name: 'OIDC_OP_DISCOVERY_ENDPOINT', group: 'auth', description: 'Override of the discovery URL' }),
  v({ name: 'OIDC_OP_AUTHORIZATION_ENDPOINT', group: 'auth', description: 'Override of the authorization endpoint' }),
  v({ name: 'OIDC_OP_TOKEN_ENDPOINT', group: 'auth', description: 'Override of the token endpoint' }),
  v({ name: 'OIDC_OP_USER_ENDPOINT', group: 'auth', description: 'Override of the userinfo endpoint' }),
  v({ name: 'OIDC_OP_JWKS_ENDPOINT', group: 'auth', description: 'Override of the JWKS endpoint' }),
  v({ name: 'OIDC_OP_LOGOUT_ENDPOINT', group: 'auth', description: 'Override of the logout endpoint' }),
  v({ name: 'OIDC_RP_SCOPES', group: 'auth', description: 'Requested scopes', default: 'openid email profile' }),
  v({ name: 'OIDC_RP_SIGN_ALGO', group: 'auth', description: 'Token signature algorithm', default: 'RS256' }),
  v({ name: 'OIDC_LOGOUT_REDIRECT_URL', group: 'auth', description: 'Where the browser goes after logout', default: '/' }),
  v({ name: 'OIDC_CENTER_CLAIM', group: 'auth', description: 'Token claim whose /centers/<center_key> group paths set a user\'s center scope at each login', default: 'groups' }),
  v({ name: 'LX_ANNOTATE_SESSION_IDLE_SECONDS', group: 'auth', description: 'A session ends after this many seconds without a request', default: '3600' }),
  v({ name: 'LX_ANNOTATE_SESSION_ABSOLUTE_SECONDS', group: 'auth', description: 'A session ends this many seconds after sign-in, active or not', default: '43200' }),

  // storage
  v({ name: 'LX_ANNOTATE_MASTER_KEY', group: 'storage', description: 'Storage master key, URL-safe base64 of 16/24/32 bytes (prefer the _FILE variant)', secret: true, fileVariant: true, example: undefined }),
  v({ name: 'LX_ANNOTATE_MASTER_KEYRING_FILE', group: 'storage', description: 'YAML keyring: schema_version 1, active key file, up to 8 retiring key files' }),
  v({ name: 'LX_ANNOTATE_PSEUDONYM_SALT', aliases: ['DJANGO_SALT'], group: 'storage', description: 'Secret salt of the patient and examination hashes (the original\'s DJANGO_SALT: keep its value to keep its hashes); required in production, never change it once data exists', secret: true, fileVariant: true }),
  v({ name: 'LX_ANNOTATE_DIRECT_IDENTIFIER_POLICY', group: 'storage', description: 'After validation: retain_for_governance keeps names/DOB/case number (a tombstone says so); clear_direct_identifiers erases them and keeps only the pseudonym hashes', default: 'retain_for_governance' }),

  // hub receiver
  v({ name: 'ENDOREG_ENABLE_HUB_TRANSFERS', aliases: ['ENDOREG_ENABLE_INCOMING_HUB_TRANSFERS'], group: 'hub', description: 'Enable the hub transfer receiver (central_hub only)', default: '0', example: '0' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_REQUIRE_SECURE_TRANSPORT', group: 'hub', description: 'Transfers only over HTTPS; must stay on for central_hub', default: '1' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_REQUIRE_MTLS', group: 'hub', description: 'Transfers only with proxy-verified client certificates; must be on for central_hub', default: 'central_hub: 1, else 0' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_MTLS_META_KEY', group: 'hub', description: 'Request header (Django META form) carrying the proxy attestation', default: 'HTTP_X_CLIENT_CERT_VERIFIED' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_MTLS_META_VALUE', group: 'hub', description: 'Value the attestation header must have', default: 'SUCCESS' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES', group: 'hub', description: 'Largest accepted transfer media upload', default: '53687091200' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_REQUIRE_ENVELOPE', group: 'hub', description: 'Refuse schema 2.0 (plaintext media uploads); accept only 3.0 encrypted envelopes', default: '0' }),
  v({ name: 'ENDOREG_HUB_TRANSFER_RECIPIENT_PRIVATE_KEY_FILES', group: 'hub', description: 'Comma-separated X25519 private key PEM files of the hub (first: active and published, rest: retiring, still decrypted)' }),

  // hub sender
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_AUTO_QUEUE', group: 'hub-export', description: 'Queue marked resources automatically', default: '0' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_REQUIRE_MTLS', group: 'hub-export', description: 'Present a client certificate to the hub', default: '1' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE', group: 'hub-export', description: 'Client certificate (PEM)' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE', group: 'hub-export', description: 'Client key (PEM)' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_CA_FILE', group: 'hub-export', description: 'CA bundle that verifies the hub (PEM)' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_STALE_AFTER_SECONDS', group: 'hub-export', description: 'Recovery threshold for stuck transfers (min 60)', default: '1800' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_MAX_RETRIES', group: 'hub-export', description: 'Retries of one transfer (min 0)', default: '5' }),
  v({ name: 'LX_ANNOTATE_HUB_EXPORT_LOCAL_CLEANUP_POLICY', group: 'hub-export', description: 'retain_processed_media | eligible_after_verified_apply', default: 'retain_processed_media' }),
  v({ name: 'LX_ANNOTATE_HUB_SOURCE_NODE_SECRET', group: 'hub-export', description: 'Shared secret of this node towards the hub (or _<NODEKEY> per node)', secret: true, fileVariant: true }),

  // ingest / watcher
  v({ name: 'WATCHER_LOG_LEVEL', group: 'ingest', description: 'Watcher log level', default: 'INFO' }),
  v({ name: 'WATCHER_POLL_INTERVAL_SECONDS', group: 'ingest', description: 'Stability poll interval', default: '5' }),
  v({ name: 'WATCHER_STABLE_AFTER_SECONDS', group: 'ingest', description: 'A dropped file must be unchanged this long before ingest', default: '10' }),
  v({ name: 'WATCHER_USE_POLLING', group: 'ingest', description: 'Poll the drop directories instead of using inotify (set for network shares, where inotify sees no events)', default: '0' }),
  v({ name: 'LX_ANNOTATE_FILEWATCHER_ARGS', group: 'ingest', description: 'Extra arguments for lx-annotate watch' }),
  v({ name: 'LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES', group: 'ingest', description: 'SAP IS-H zip import: cap on the total uncompressed size of the tables read (zip bomb guard)', default: '2147483648' }),

  // jobs
  v({ name: 'CELERY_TASK_DEFAULT_QUEUE', aliases: ['CELERY_DEFAULT_QUEUE'], group: 'jobs', description: 'Name of the default queue', default: 'default' }),
  v({ name: 'CELERY_PIPELINE_QUEUE', group: 'jobs', description: 'Name of the pipeline queue', default: 'pipeline' }),
  v({ name: 'CELERY_FRAME_EXTRACTION_QUEUE', group: 'jobs', description: 'Name of the frame extraction queue', default: 'frame_extraction' }),
  v({ name: 'CELERY_FFMPEG_MEDIA_QUEUE', group: 'jobs', description: 'Name of the ffmpeg media queue', default: 'ffmpeg_media' }),
  v({ name: 'CELERY_INFERENCE_QUEUE', group: 'jobs', description: 'Name of the inference queue', default: 'inference' }),
  v({ name: 'CELERY_TRAINING_QUEUE', group: 'jobs', description: 'Name of the model training queue', default: 'model_training' }),
  v({ name: 'CELERY_LLM_INFERENCE_QUEUE', group: 'jobs', description: 'Name of the LLM inference queue', default: 'llm_inference' }),
  v({ name: 'CELERY_MAINTENANCE_QUEUE', group: 'jobs', description: 'Name of the maintenance queue', default: 'maintenance' }),
  v({ name: 'CELERY_HUB_TRANSFER_QUEUE', group: 'jobs', description: 'Name of the hub transfer queue', default: 'hub_transfer' }),
  v({ name: 'CELERY_LOG_LEVEL', group: 'jobs', description: 'Worker log level', default: 'INFO' }),
  v({ name: 'LX_ANNOTATE_JOBS_RETENTION_DAYS', group: 'jobs', description: 'Finished jobs (completed, failed, cancelled) are purged after this many days', default: '14' }),
];

export const VARIABLE_BY_NAME: ReadonlyMap<string, VariableDeclaration> = new Map(VARIABLES.map((d) => [d.name, d]));

export function declaration(name: string): VariableDeclaration {
  const decl = VARIABLE_BY_NAME.get(name);
  if (!decl) throw new Error(`undeclared environment variable ${name}`);
  return decl;
}
