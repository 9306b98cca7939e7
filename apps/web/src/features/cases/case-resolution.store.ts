import { defineStore } from 'pinia';
import { ref } from 'vue';
import { casesApi, type CaseMediaType, type CaseResolution } from './cases.api';

/** Link between one file and its pseudo patient / patient examination (W5). */
export const useCaseResolutionStore = defineStore('caseResolution', () => {
  const resolution = ref<CaseResolution | null>(null);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  const busy = ref(false);

  async function run(action: () => Promise<CaseResolution>, done?: string): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      resolution.value = await action();
      notice.value = done ?? null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      busy.value = false;
    }
  }

  const load = (id: number, type: CaseMediaType) => run(() => casesApi.get(id, type));
  const link = (id: number, type: CaseMediaType, peId: number) => run(() => casesApi.link(id, type, peId), `Mit Patientenuntersuchung #${peId} verknüpft.`);
  const create = (id: number, type: CaseMediaType, examinationId: number | null) => run(() => casesApi.create(id, type, examinationId), 'Neue Patientenuntersuchung angelegt und verknüpft.');

  return { resolution, error, notice, busy, load, link, create };
});
