export { ConfigError } from './errors.js';
export { Secret } from './secret.js';
export { loadConfig, APP_ROOT, type LoadedConfig, type LoadOptions } from './load.js';
export { formatExplain, explain, type ExplainEntry } from './explain.js';
export { type Settings, type DeploymentRole, type RuntimeEnv, type QueueRole, QUEUE_VARIABLES, DEPLOYMENT_ROLES } from './settings.js';
export { type RuntimePaths, isInside } from './paths.js';
export { type DatabaseConfig, type PostgresConfig, type SqliteConfig } from './database-config.js';
export { VARIABLES, type VariableDeclaration } from './variables.js';
export { readSecretFile } from './secret-file.js';
