import type { Db } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import type { CentersService } from '../centers/index.js';
import { CENTERS, EXAMINATIONS, LABELS, LABEL_SETS, PROCESSORS } from './base-data.js';
import { upsertExamination, upsertLabel, upsertLabelSet, upsertProcessor } from './knowledge-base.repository.js';

export interface BaseDataSummary {
  centersCreated: number;
  processorsCreated: number;
  examinationsCreated: number;
  labelsCreated: number;
  labelSetsCreated: number;
}

export class KnowledgeBaseService {
  constructor(
    private readonly db: Db,
    private readonly centers: CentersService,
  ) {}

  /** Loads centers, processors, examinations, labels and label sets; safe to run any number of times. */
  async loadBaseData(options: { defaultCenterKey: string }): Promise<BaseDataSummary> {
    const summary: BaseDataSummary = { centersCreated: 0, processorsCreated: 0, examinationsCreated: 0, labelsCreated: 0, labelSetsCreated: 0 };
    const seeds = [...CENTERS];
    if (!seeds.some((c) => c.centerKey === options.defaultCenterKey)) {
      seeds.push({ name: options.defaultCenterKey, displayName: options.defaultCenterKey, centerKey: options.defaultCenterKey });
    }
    for (const seed of seeds) {
      const before = await this.centers.byKey(seed.centerKey);
      if (!before) {
        await this.centers.ensureCenter({ name: seed.name, displayName: seed.displayName, centerKey: seed.centerKey });
        summary.centersCreated += 1;
      }
    }
    await this.db.transaction().execute(async (trx) => {
      const now = nowIso();
      for (const p of PROCESSORS) if (await upsertProcessor(trx, p, now)) summary.processorsCreated += 1;
      for (const e of EXAMINATIONS) if (await upsertExamination(trx, e.name, e.displayName)) summary.examinationsCreated += 1;
      const labelIds = new Map<string, number>();
      for (const l of LABELS) {
        const { id, created } = await upsertLabel(trx, l.name, l.displayName);
        labelIds.set(l.name, id);
        if (created) summary.labelsCreated += 1;
      }
      for (const set of LABEL_SETS) {
        const ids = set.labels.map((name) => {
          const labelId = labelIds.get(name);
          if (labelId === undefined) throw new Error(`label set ${set.name} v${set.version} names unknown label ${name}`);
          return labelId;
        });
        if (await upsertLabelSet(trx, set.name, set.version, ids)) summary.labelSetsCreated += 1;
      }
    });
    return summary;
  }
}
