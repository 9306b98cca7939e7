import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError } from '../../shared/http';
import { startPolling, type Poller } from '../../shared/poll';
import { parseFrameList } from './frame-list';
import { videoCorrectionApi, type MaskChoice, type VideoAnonymizationInfo, type VideoCorrectionDetails, type VideoHistoryEntry } from './video-correction.api';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
const FINISHED_JOBS = new Set(['completed', 'failed', 'cancelled']);
/** Polling of a started run: fast first, then backing off while nothing changes. */
export const POLL = { minMs: 1500, maxMs: 15_000 } as const;

/**
 * Video correction (W4): file info, mask strategy runs (device preset or custom region), manual
 * frame removal, and the processing history polled with backoff until the started run is done.
 * Options the server refuses (no PHI detector) are kept with the server's German reason.
 */
export const useVideoCorrectionStore = defineStore('videoCorrection', () => {
  const videoId = ref<number | null>(null);
  const details = ref<VideoCorrectionDetails | null>(null);
  const info = ref<VideoAnonymizationInfo | null>(null);
  const history = ref<VideoHistoryEntry[]>([]);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  /** Task id of the run this page started and waits for. */
  const pendingTask = ref<string | null>(null);
  /** Server refusals by option (`detector_assisted`, `automatic_removal`). */
  const refused = ref<Record<string, string>>({});
  /** Queue state of the started run (`retry`: the server tries again). */
  const jobStatus = ref<string | null>(null);
  let poller: Poller | undefined;

  const running = computed(() => pendingTask.value !== null || history.value.some((h) => h.status === 'running'));
  const detectorRefusal = computed(() => {
    const s = info.value?.strategies.find((x) => x.name === 'detector_assisted');
    return refused.value.detector_assisted ?? (s && !s.available ? s.detail : null);
  });
  const automaticRefusal = computed(() => refused.value.automatic_removal ?? detectorRefusal.value);
  const current = computed(() => history.value.find((h) => h.status === 'running' && (pendingTask.value === null || h.taskId === pendingTask.value)));

  const fingerprint = (): string => JSON.stringify([jobStatus.value, details.value?.status, details.value?.processingLocked, history.value.map((h) => [h.id, h.status, h.progress])]);

  /** Reloads details and history (and the started run's job); true when something changed (polling goes fast again). */
  async function refresh(): Promise<boolean> {
    const id = videoId.value;
    if (id === null) return false;
    const before = fingerprint();
    const task = pendingTask.value;
    const [d, h, job] = await Promise.all([videoCorrectionApi.details(id), videoCorrectionApi.history(id), task ? jobState(task) : undefined]);
    details.value = d;
    history.value = h;
    jobStatus.value = job ?? null;
    if (task && pendingTask.value === task) {
      // One run writes several history rows (analysis, mask/removal, …) under its task id.
      const mine = h.filter((e) => e.taskId === task);
      const failed = mine.find((e) => e.status === 'failed' || e.status === 'cancelled');
      const done = job ? FINISHED_JOBS.has(job) : mine.length > 0 && mine.every((e) => FINISHED.has(e.status)) && (failed !== undefined || !d.processingLocked);
      if (done) {
        pendingTask.value = null;
        jobStatus.value = null;
        if (!failed && job !== 'failed' && job !== 'cancelled') notice.value = 'Die Verarbeitung ist abgeschlossen. Bitte das Ergebnis in der Vorschau prüfen.';
        else {
          notice.value = null;
          error.value = failed?.errorDetail || 'Die Verarbeitung ist fehlgeschlagen.';
        }
        info.value = await videoCorrectionApi.info(id);
      }
    }
    if (!running.value) stopPolling();
    return before !== fingerprint();
  }

  /** The job's state, or undefined when this user may not read jobs (then the history decides). */
  async function jobState(task: string): Promise<string | undefined> {
    try {
      return (await videoCorrectionApi.job(task)).state;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return undefined;
      throw e;
    }
  }

  function stopPolling(): void {
    poller?.stop();
    poller = undefined;
  }

  function poll(): void {
    if (poller) poller.kick();
    else poller = startPolling(refresh, POLL);
  }

  async function load(id: number): Promise<void> {
    stopPolling();
    videoId.value = id;
    details.value = null;
    info.value = null;
    history.value = [];
    error.value = null;
    notice.value = null;
    pendingTask.value = null;
    jobStatus.value = null;
    refused.value = {};
    try {
      info.value = await videoCorrectionApi.info(id);
      await refresh();
      if (running.value) poll();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function start(option: string | null, send: () => Promise<{ taskId: string; message: string }>): Promise<boolean> {
    error.value = null;
    notice.value = null;
    try {
      const accepted = await send();
      pendingTask.value = accepted.taskId;
      notice.value = accepted.message;
      poll();
      return true;
    } catch (e) {
      if (option && e instanceof ApiError && e.isConflict && /PHI-Detektor/.test(e.message)) refused.value = { ...refused.value, [option]: e.message };
      error.value = (e as Error).message;
      return false;
    }
  }

  const anonymize = (mask: MaskChoice): Promise<boolean> => start(null, () => videoCorrectionApi.anonymize(videoId.value!, 'processor_region', mask));
  const anonymizeWithDetector = (): Promise<boolean> => start('detector_assisted', () => videoCorrectionApi.anonymize(videoId.value!, 'detector_assisted', undefined));
  const removeAutomatically = (): Promise<boolean> => start('automatic_removal', () => videoCorrectionApi.removeFrames(videoId.value!, { method: 'automatic' }));

  /** Manual removal: the list is checked here first; a bad list never reaches the server. */
  async function removeFrames(spec: string): Promise<boolean> {
    const checked = parseFrameList(spec, details.value?.frameCount ?? null);
    if (!checked.ok) {
      error.value = checked.error;
      return false;
    }
    return start(null, () => videoCorrectionApi.removeFrames(videoId.value!, { method: 'manual', frames: spec.trim() }));
  }

  return { videoId, details, info, history, error, notice, pendingTask, jobStatus, refused, running, current, detectorRefusal, automaticRefusal, load, refresh, stopPolling, anonymize, anonymizeWithDetector, removeAutomatically, removeFrames };
});
