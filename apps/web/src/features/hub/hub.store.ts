import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { hubApi, type HubExportOverview, type ResourceRef } from './hub.api';
import type { HubReadinessCheck } from './readiness-text';

export const ACTIVE_STATUSES = new Set(['queued', 'registering', 'awaiting_media', 'uploading']);
export const refKey = (r: ResourceRef): string => `${r.resourceKind}-${r.id}`;

/** The registry export of this site: candidates, marks, transfer progress, privacy summary. */
export const useHubExportStore = defineStore('hubExport', () => {
  const overview = ref<HubExportOverview | null>(null);
  const target = ref<string | undefined>(undefined);
  const selected = ref(new Set<string>());
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  const busy = ref(false);
  const readiness = ref<{ role: string; checks: HubReadinessCheck[] } | null>(null);
  const readinessError = ref<string | null>(null);

  const items = computed(() => overview.value?.items ?? []);
  const active = computed(() => items.value.some((i) => i.job && ACTIVE_STATUSES.has(i.job.localStatus)));
  /** The equivalence classes that do not reach k: what a person should look at before exporting. */
  const belowK = computed(() => {
    const summary = overview.value?.privacySummary;
    return summary ? summary.classes.filter((c) => c.count < summary.minK) : [];
  });

  async function refresh(): Promise<boolean> {
    const before = JSON.stringify(items.value.map((i) => [refKey(i), i.job?.localStatus]));
    try {
      overview.value = await hubApi.overview(target.value);
      target.value ??= overview.value.selectedTargetNodeKey ?? undefined;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
      throw e;
    }
    return before !== JSON.stringify(items.value.map((i) => [refKey(i), i.job?.localStatus]));
  }

  const chosen = (): ResourceRef[] => items.value.filter((i) => selected.value.has(refKey(i))).map((i) => ({ resourceKind: i.resourceKind, id: i.id }));

  async function run(action: () => Promise<string>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      notice.value = await action();
      selected.value = new Set();
      await refresh();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      busy.value = false;
    }
  }

  const mark = () => run(async () => `${(await hubApi.mark(chosen(), target.value)).markedCount} Datei(en) für den Export vorgemerkt.`);
  const unmark = () => run(async () => `${(await hubApi.unmark(chosen(), target.value)).unmarkedCount} Vormerkung(en) entfernt.`);
  const queue = () => run(async () => `${(await hubApi.queue(target.value)).queuedCount} Übertragung(en) gestartet.`);

  /** Hub readiness of this site (source node, exactly one hub, certificate files); asked on demand. */
  async function loadReadiness(): Promise<void> {
    try {
      readiness.value = await hubApi.readiness();
      readinessError.value = null;
    } catch (e) {
      readinessError.value = (e as Error).message;
    }
  }

  function toggle(r: ResourceRef): void {
    const next = new Set(selected.value);
    const key = refKey(r);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    selected.value = next;
  }

  return { overview, target, selected, error, notice, busy, items, active, belowK, readiness, readinessError, refresh, loadReadiness, mark, unmark, queue, toggle };
});
