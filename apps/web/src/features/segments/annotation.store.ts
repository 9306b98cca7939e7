import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { DEFAULT_FPS, frameToSeconds } from '../../shared/frames';
import { ApiError } from '../../shared/http';
import { startPolling, type Poller } from '../../shared/poll';
import { annotatorOverride, effectiveAnnotator, setAnnotatorOverride } from './annotator';
import type { LabelInfo } from './labels';
import { SegmentDraft, type DraftSegment } from './segment-draft';
import { segmentsApi, type ValidationStatus, type VideoDetails, type VideoSummary, type WireSegment } from './segments.api';

export const MIN_SEGMENT_SECONDS_DEFAULT = 3;

export const fromWire = (s: WireSegment): DraftSegment => ({
  key: `s${s.id}`,
  id: s.id,
  labelId: s.labelId,
  startFrame: s.startFrameNumber,
  endFrame: s.endFrameNumber,
  annotator: s.annotator ?? null,
  validated: s.isValidated ?? false,
  ...(s.version !== undefined ? { version: s.version } : {}),
});

const DONE = new Set(['validated', 'cleanup_failed', 'cleanup_required', 'not_started']);

/** Segment annotation of one video: the video list, the local draft, save, validation. */
export const useAnnotationStore = defineStore('annotation', () => {
  const videos = ref<VideoSummary[]>([]);
  const labels = ref<LabelInfo[]>([]);
  const video = ref<VideoDetails | null>(null);
  const draft = shallowRef(markRaw(new SegmentDraft({ fps: DEFAULT_FPS, frameCount: 1, minDurationSeconds: MIN_SEGMENT_SECONDS_DEFAULT })));
  /** Bumped whenever the draft changed, so that Vue re-reads it (the draft itself is not reactive). */
  const revision = ref(0);
  const predictions = ref<DraftSegment[]>([]);
  const loading = ref(false);
  const saving = ref(false);
  const error = ref<string | null>(null);
  const conflict = ref(false);
  const validation = ref<ValidationStatus | null>(null);
  const reopened = ref(false);
  const ownAnnotator = ref('');
  const override = ref<string | null>(annotatorOverride());
  const minDurationSeconds = ref(MIN_SEGMENT_SECONDS_DEFAULT);
  let poller: Poller | undefined;

  const fps = computed(() => video.value?.fps || DEFAULT_FPS);
  const annotator = computed(() => effectiveAnnotator(ownAnnotator.value, override.value));
  const validated = computed(() => validation.value?.segmentAnnotationsValidated === true || validation.value?.status === 'validated' || (validation.value === null && video.value?.segmentAnnotationsValidated === true));
  const readonly = computed(() => validated.value && !reopened.value);
  const dirty = computed(() => {
    void revision.value;
    return draft.value.dirty;
  });
  const changeCount = computed(() => {
    void revision.value;
    return draft.value.pendingChangeCount();
  });

  const touch = (): void => {
    revision.value++;
  };

  async function loadVideos(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const [list, labelList] = await Promise.all([segmentsApi.videos(), segmentsApi.labels().catch(() => [])]);
      videos.value = list.videos;
      labels.value = (labelList.length > 0 ? labelList : list.labels).map((l) => ({ id: l.id, name: l.name }));
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  async function fetchSegments(videoId: number): Promise<DraftSegment[]> {
    return (await segmentsApi.segments(videoId, 'manual')).map(fromWire);
  }

  async function openVideo(videoId: number): Promise<void> {
    stopPolling();
    loading.value = true;
    error.value = null;
    conflict.value = false;
    reopened.value = false;
    try {
      const details = await segmentsApi.details(videoId);
      const frameCount = details.frameCount || Math.max(1, Math.round((details.duration ?? 60) * (details.fps || DEFAULT_FPS)));
      const [manual, predicted, status] = await Promise.all([
        fetchSegments(videoId),
        segmentsApi.segments(videoId, 'prediction').catch(() => []),
        segmentsApi.validationStatus(videoId).catch(() => null),
      ]);
      draft.value.reset(manual, { fps: details.fps || DEFAULT_FPS, frameCount, minDurationSeconds: minDurationSeconds.value });
      predictions.value = predicted.map(fromWire);
      validation.value = status;
      // Set last: the page mounts the timeline for this video only once the draft holds it.
      video.value = details;
      touch();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  /** One bulk save of every local change. Keeps the draft untouched on failure. */
  async function save(): Promise<boolean> {
    const v = video.value;
    if (!v || !draft.value.dirty) return true;
    saving.value = true;
    error.value = null;
    try {
      await segmentsApi.bulk(v.id, { ...draft.value.toBulk(), annotator: annotator.value });
      draft.value.reset(await fetchSegments(v.id));
      conflict.value = false;
      touch();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.isConflict) conflict.value = true;
      error.value = (e as Error).message;
      return false;
    } finally {
      saving.value = false;
    }
  }

  /** 409 → "Überschreiben": take the server's state as the base, re-apply own edits, save. */
  async function overwrite(): Promise<boolean> {
    const v = video.value;
    if (!v) return false;
    try {
      draft.value.rebase(await fetchSegments(v.id));
    } catch (e) {
      error.value = (e as Error).message;
      return false;
    }
    touch();
    return save();
  }

  /** Discards local edits (also "neu laden" after a 409). */
  async function discard(): Promise<void> {
    const v = video.value;
    if (!v) return;
    try {
      draft.value.reset(await fetchSegments(v.id));
      conflict.value = false;
      error.value = null;
      touch();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function importPredictions(): Promise<void> {
    const v = video.value;
    if (!v) return;
    try {
      await segmentsApi.importPredictions(v.id);
      draft.value.reset(await fetchSegments(v.id));
      touch();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function validateAll(notes: string): Promise<void> {
    const v = video.value;
    if (!v) return;
    if (draft.value.dirty && !(await save())) return;
    const segs = draft.value.list().filter((s): s is DraftSegment & { id: number } => s.id !== null);
    try {
      const result = await segmentsApi.validateBulk(v.id, {
        segmentIds: segs.map((s) => s.id),
        segments: segs.map((s) => ({ id: s.id, startTime: frameToSeconds(s.startFrame, fps.value), endTime: frameToSeconds(s.endFrame, fps.value) })),
        isValidated: true,
        notes,
        informationSourceName: 'manual_annotation',
        annotator: annotator.value,
      });
      validation.value = result.segmentAnnotationStatus;
      reopened.value = false;
      pollValidation(v.id);
      void loadVideos();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  function pollValidation(videoId: number): void {
    stopPolling();
    poller = startPolling(async () => {
      const before = validation.value?.status;
      validation.value = await segmentsApi.validationStatus(videoId);
      if (DONE.has(validation.value.status)) stopPolling();
      return before !== validation.value.status;
    });
  }

  function stopPolling(): void {
    poller?.stop();
    poller = undefined;
  }

  function setOwnAnnotator(value: string): void {
    ownAnnotator.value = value;
  }

  /** "Als anderer Annotator neu beginnen": a second, independent annotation track. */
  function restartAs(name: string | null): void {
    setAnnotatorOverride(name);
    override.value = annotatorOverride();
  }

  return {
    videos,
    labels,
    video,
    draft,
    revision,
    predictions,
    loading,
    saving,
    error,
    conflict,
    validation,
    validated,
    readonly,
    reopened,
    dirty,
    changeCount,
    fps,
    annotator,
    minDurationSeconds,
    touch,
    loadVideos,
    openVideo,
    save,
    overwrite,
    discard,
    importPredictions,
    validateAll,
    stopPolling,
    setOwnAnnotator,
    restartAs,
  };
});
