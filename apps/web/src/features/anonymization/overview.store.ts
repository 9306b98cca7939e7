import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { anonymizationApi, type MediaType, type OverviewItem, type QuarantineFile } from './anonymization.api';
import { PROCESSING, WAITING } from './status-text';

/** Every video and PDF with its status; shared by the overview page and the sidebar badges. */
export const useOverviewStore = defineStore('anonymizationOverview', () => {
  const items = ref<OverviewItem[]>([]);
  const quarantine = ref<QuarantineFile[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const busy = ref<string | null>(null);

  const files = computed(() => items.value.filter((i): i is OverviewItem & { mediaType: MediaType } => i.mediaType !== 'quarantine'));
  const quarantineRows = computed(() => items.value.filter((i) => i.mediaType === 'quarantine'));
  const processingCount = computed(() => files.value.filter((i) => PROCESSING.has(i.anonymizationStatus)).length);
  const waitingCount = computed(() => files.value.filter((i) => i.anonymizationStatus === WAITING).length);
  const summary = computed(() => {
    const out: Record<string, number> = {};
    for (const i of items.value) out[i.anonymizationStatus] = (out[i.anonymizationStatus] ?? 0) + 1;
    return out;
  });
  const nextToValidate = computed(() => files.value.find((i) => i.anonymizationStatus === WAITING) ?? null);

  /** Reloads; returns true when any status changed (the poller speeds up again). */
  async function refresh(): Promise<boolean> {
    const before = JSON.stringify(items.value.map((i) => [i.mediaType, i.id, i.anonymizationStatus]));
    try {
      items.value = await anonymizationApi.overview();
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
      loaded.value = true;
      throw e;
    }
    quarantine.value = await anonymizationApi.quarantine().catch(() => quarantine.value);
    loaded.value = true;
    return before !== JSON.stringify(items.value.map((i) => [i.mediaType, i.id, i.anonymizationStatus]));
  }

  async function act(label: string, run: () => Promise<unknown>): Promise<void> {
    busy.value = label;
    error.value = null;
    try {
      await run();
      await refresh();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      busy.value = null;
    }
  }

  const start = (id: number, t: MediaType) => act(`start-${t}-${id}`, () => anonymizationApi.start(id, t));
  const reimport = (id: number, t: MediaType) => act(`reimport-${t}-${id}`, () => anonymizationApi.reimport(id, t));
  const remove = (id: number, t: MediaType) => act(`remove-${t}-${id}`, () => anonymizationApi.remove(id, t));
  const retryUpload = (uploadId: string) => act(`retry-${uploadId}`, () => anonymizationApi.retryUpload(uploadId));

  return { items, files, quarantineRows, quarantine, loaded, error, busy, processingCount, waitingCount, summary, nextToValidate, refresh, start, reimport, remove, retryUpload };
});
