import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, http } from '../../shared/http';
import { anonymizationApi, type CurrentItem, type DocumentTypeOption, type MediaType } from './anonymization.api';
import { rememberValidationTarget } from './resume';
import { checkForm, formFromMeta, validatePayload, type FormErrors, type ValidationForm } from './validation-form';

export interface OutsideSegment {
  id: number;
  startFrameNumber: number;
  endFrameNumber: number;
  isValidated?: boolean;
  labelName?: string;
}

/** The review of one file: load, the form, the outside-segment gate, approve. */
export const useValidationStore = defineStore('validation', () => {
  const item = ref<CurrentItem | null>(null);
  const mediaType = ref<MediaType>('pdf');
  const form = ref<ValidationForm>(formFromMeta(null));
  const documentTypes = ref<DocumentTypeOption[]>([]);
  const outside = ref<OutsideSegment[] | null>(null);
  const errors = ref<FormErrors>({});
  const error = ref<string | null>(null);
  const saving = ref(false);
  const done = ref(false);

  const gateOpen = computed(() => mediaType.value !== 'video' || (outside.value !== null && outside.value.every((s) => s.isValidated)));

  async function load(id: number, type: MediaType): Promise<void> {
    error.value = null;
    done.value = false;
    outside.value = null;
    mediaType.value = type;
    try {
      const [current, types] = await Promise.all([anonymizationApi.current(id, type), type === 'pdf' ? anonymizationApi.documentTypes().catch(() => []) : Promise.resolve([])]);
      item.value = current;
      documentTypes.value = types;
      form.value = formFromMeta(current.sensitiveMeta ?? null, current);
      rememberValidationTarget(id, type);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** "Segment-Annotation prüfen": the video's outside segments that must be validated first. */
  async function loadOutside(): Promise<void> {
    const id = item.value?.id;
    if (!id) return;
    try {
      const body = await http.get<OutsideSegment[] | { results?: OutsideSegment[] }>(`media/videos/${id}/segments/`, { query: { label: 'outside', source_kind: 'all' } });
      outside.value = Array.isArray(body) ? body : (body.results ?? []);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function validateOutside(segmentIds: number[]): Promise<void> {
    const id = item.value?.id;
    if (!id) return;
    try {
      for (const sid of segmentIds) await http.post(`media/videos/${id}/segments/${sid}/validate/`, { isValidated: true });
      await loadOutside();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** Approve; the form stays as typed when the server refuses. */
  async function approve(): Promise<boolean> {
    const current = item.value;
    if (!current) return false;
    recheck();
    if (Object.keys(errors.value).length > 0) return false;
    if (!gateOpen.value) {
      error.value = 'Bitte zuerst alle Außerhalb-Segmente prüfen und validieren.';
      return false;
    }
    saving.value = true;
    error.value = null;
    try {
      await anonymizationApi.validate(current.id, validatePayload(form.value, mediaType.value));
      done.value = true;
      return true;
    } catch (e) {
      error.value = (e as Error).message;
      const allowed = e instanceof ApiError ? (e.body as { allowedDocumentTypes?: string[] } | undefined)?.allowedDocumentTypes : undefined;
      if (allowed) errors.value = { ...errors.value, documentType: `Erlaubt: ${allowed.join(', ')}` };
      return false;
    } finally {
      saving.value = false;
    }
  }

  function recheck(): void {
    errors.value = checkForm(form.value, mediaType.value, documentTypes.value.map((d) => d.value));
  }

  return { item, mediaType, form, documentTypes, outside, errors, error, saving, done, gateOpen, load, loadOutside, validateOutside, approve, recheck };
});
