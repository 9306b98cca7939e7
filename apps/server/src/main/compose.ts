import type { LoadedConfig, Settings } from '../config/index.js';
import { createDatabase, type Db } from '../db/index.js';
import { AuditLedger } from '../features/audit/index.js';
import { ReadinessService } from '../features/admin/index.js';
import { CentersService } from '../features/centers/index.js';
import { KnowledgeBaseService } from '../features/knowledge-base/index.js';
import { createLogger, type Logger } from '../log/logger.js';

/** Everything a process role needs, wired by hand. */
export interface Runtime {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly db: Db;
  readonly centers: CentersService;
  readonly knowledgeBase: KnowledgeBaseService;
  readonly audit: AuditLedger;
  readonly readiness: ReadinessService;
  close(): Promise<void>;
}

export function compose(config: LoadedConfig, options: { logger?: Logger; name?: string } = {}): Runtime {
  const { settings } = config;
  const logger = options.logger ?? createLogger({ level: settings.logLevel, name: options.name });
  const db = createDatabase(settings.database);
  const centers = new CentersService(db);
  return {
    settings,
    logger,
    db,
    centers,
    knowledgeBase: new KnowledgeBaseService(db, centers),
    audit: new AuditLedger(db),
    readiness: new ReadinessService(db, settings),
    close: () => db.destroy(),
  };
}
