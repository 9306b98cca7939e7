export { ReadinessService, RefusingToStart, runtimeDirectories, directoryCheck, isReady, startupGate, type CheckScope } from './readiness.service.js';
export { registerAdminRoutes, registerHealthRoutes } from './admin.routes.js';
export { ensureRuntimeDirectories } from './runtime-dirs.js';
export { CONTRACT_MODES, contractDirectories } from './permission-contract.js';
export { migrateDataDir, MigrationRefused, isManagedPayload, type DataDirMigrationResult, type MigrationMode } from './data-dir-migration.js';
export { envFileFor } from './legacy-env.js';
export { createBackup, restoreBackup, verifyBackup, BackupInvalid, OperationRefused, BACKUP_FORMAT, type BackupManifest } from './backup.js';
export { DatabaseToolError, type ToolEnvironment } from './database-snapshot.js';
