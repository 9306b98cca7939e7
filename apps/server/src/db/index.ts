export { createDatabase, postgresPoolConfig, type Db } from './database.js';
export { schemaStatus, migrateToLatest, MigrationFailed, type SchemaStatus } from './migrator.js';
export { engineOf, nowIso, type Engine } from './dialect.js';
export { dbBool, dbInt, dbJson, dbTimestamp } from './normalize.js';
export type { DB } from './schema.js';
