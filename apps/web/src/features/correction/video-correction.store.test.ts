import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { POLL, useVideoCorrectionStore } from './video-correction.store';

/**
 * The video correction store against a scripted server (the real routes are covered by the
 * server's video tests): what is sent, polling with backoff until the started run finishes, and
 * the server's German refusal of the PHI detector kept on the option.
 */
const NO_DETECTOR = 'Strategie nicht verfügbar: kein PHI-Detektor konfiguriert.';
const calls: { method: string; url: string; body: unknown; at: number }[] = [];
let history: Record<string, unknown>[] = [];
let detectorAvailable = false;
/** State of `jobs/task-1/`; undefined: 403 (a user without jobs:read). */
let job: string | undefined;

const entry = (id: number, status: string, progress: number, taskId = 'task-1', operation = 'frame_removal') => ({
  id, video_id: 5, operation, status, config: { spec: '10,25,30-35' }, output: {}, error_detail: status === 'failed' ? 'Fehler beim Kodieren.' : '', progress, progress_step: '', has_output_file: status === 'succeeded', task_id: taskId, started_at: '2026-01-01T10:00:00Z', finished_at: null, duration_ms: null,
});

function respond(method: string, url: string, body: unknown): [number, unknown] {
  const path = url.replace(/\?.*$/, '');
  if (method === 'GET' && path === '/endoreg-api/media/videos/5/details/') return [200, { id: 5, original_file_name: 'a.mp4', status: 'done_processing_anonymization', fps: 25, frame_count: 100, duration: 4, width: 640, height: 480, processing_locked: false }];
  if (method === 'GET' && path === '/endoreg-api/media/videos/5/processing-history/') return [200, history];
  if (method === 'GET' && path === '/endoreg-api/media/videos/video-correction/5/anonymization/')
    return [200, { video_id: 5, status: 'done_processing_anonymization', processing_locked: false, strategies: [{ name: 'processor_region', available: true, detail: '' }, { name: 'detector_assisted', available: detectorAvailable, detail: detectorAvailable ? 'ok' : NO_DETECTOR }], device_presets: ['olympus_cv_1500', 'olympus_cv_190', 'pentax_epk_i7010', 'fujifilm_vp_4450hd'], processor_name: null, has_anonymized_artifact: true }];
  if (method === 'GET' && path === '/endoreg-api/jobs/task-1/') return job ? [200, { id: 'task-1', state: job, attempts: 1, max_attempts: 3 }] : [403, { detail: 'Sie sind für diese Aktion nicht berechtigt.' }];
  if (method === 'POST' && path === '/endoreg-api/media/videos/5/remove-frames/') {
    if ((body as { selection_method: string }).selection_method === 'automatic') return [409, { detail: NO_DETECTOR }];
    return [202, { video_id: 5, task_id: 'task-1', status: 'queued', message: 'Verarbeitung wurde gestartet.' }];
  }
  if (method === 'POST' && path === '/endoreg-api/media/videos/video-correction/5/anonymization/') {
    if ((body as { strategy: string }).strategy === 'detector_assisted') return [409, { detail: `${NO_DETECTOR} (Server)` }];
    return [202, { video_id: 5, task_id: 'task-2', status: 'queued', message: 'Verarbeitung wurde gestartet.' }];
  }
  return [404, { detail: 'Nicht gefunden.' }];
}

beforeEach(() => {
  vi.useFakeTimers();
  setActivePinia(createPinia());
  calls.length = 0;
  history = [];
  detectorAvailable = false;
  job = undefined;
  document.cookie = 'csrftoken=tok';
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url: input, body, at: Date.now() });
    const [status, json] = respond(method, input, body);
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const historyPolls = (): number[] => calls.filter((c) => c.url.endsWith('/processing-history/')).map((c) => c.at);

describe('video correction store', () => {
  it('refuses a malformed frame list in the client and sends nothing', async () => {
    const store = useVideoCorrectionStore();
    await store.load(5);
    calls.length = 0;
    expect(await store.removeFrames('10,25,35-30')).toBe(false);
    expect(store.error).toBe('Im Bereich „35-30“ ist das Ende kleiner als der Anfang.');
    expect(await store.removeFrames('10,100')).toBe(false);
    expect(store.error).toMatch(/außerhalb des Videos \(Bilder 0–99\)/);
    expect(calls).toEqual([]);
  });

  it('starts a manual removal and polls the history with backoff until the run has finished', async () => {
    const store = useVideoCorrectionStore();
    await store.load(5);
    expect(await store.removeFrames(' 10,25,30-35 ')).toBe(true);
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ selection_method: 'manual', manual_frames: '10,25,30-35' });
    expect(store.running).toBe(true);
    const startedAt = Date.now();
    calls.length = 0;

    // queued: no history entry yet; unchanged polls back off
    await vi.advanceTimersByTimeAsync(POLL.minMs);
    await vi.advanceTimersByTimeAsync(POLL.minMs * 1.6);
    await vi.advanceTimersByTimeAsync(POLL.minMs * 1.6 * 1.6);
    const polls = historyPolls().map((t) => t - startedAt);
    expect(polls).toHaveLength(3);
    expect(polls[2]! - polls[1]!).toBeGreaterThan(polls[1]! - polls[0]!);

    history = [entry(1, 'running', 0.4)];
    await vi.advanceTimersByTimeAsync(POLL.maxMs);
    expect(store.current?.progress).toBe(0.4);
    expect(store.running).toBe(true);

    history = [entry(1, 'succeeded', 1)];
    await vi.advanceTimersByTimeAsync(POLL.maxMs);
    expect(store.running).toBe(false);
    expect(store.pendingTask).toBeNull();
    expect(store.notice).toMatch(/abgeschlossen/);
    const after = historyPolls().length;
    await vi.advanceTimersByTimeAsync(POLL.maxMs * 3);
    expect(historyPolls().length).toBe(after);
  });

  it('follows the queue job when the user may read it: a finished analysis row alone does not end the run', async () => {
    const store = useVideoCorrectionStore();
    await store.load(5);
    job = 'queued';
    await store.removeFrames('3');
    history = [entry(1, 'succeeded', 1, 'task-1', 'analysis')];
    job = 'active';
    await vi.advanceTimersByTimeAsync(POLL.minMs);
    expect(store.running).toBe(true);
    job = 'retry';
    await vi.advanceTimersByTimeAsync(POLL.maxMs);
    expect(store.jobStatus).toBe('retry');
    expect(store.running).toBe(true);
    history = [entry(2, 'succeeded', 1), entry(1, 'succeeded', 1, 'task-1', 'analysis')];
    job = 'completed';
    await vi.advanceTimersByTimeAsync(POLL.maxMs);
    expect(store.running).toBe(false);
    expect(store.notice).toMatch(/abgeschlossen/);
    expect(store.error).toBeNull();
  });

  it('shows the failure of the started run in German', async () => {
    const store = useVideoCorrectionStore();
    await store.load(5);
    await store.removeFrames('3');
    history = [entry(1, 'failed', 0.2)];
    await vi.advanceTimersByTimeAsync(POLL.minMs);
    expect(store.running).toBe(false);
    expect(store.error).toBe('Fehler beim Kodieren.');
  });

  it('sends a device preset or a custom region as the server expects', async () => {
    const store = useVideoCorrectionStore();
    await store.load(5);
    await store.anonymize({ mode: 'device', deviceName: 'pentax_epk_i7010' });
    history = [entry(2, 'succeeded', 1, 'task-2')];
    await vi.advanceTimersByTimeAsync(POLL.minMs);
    await store.anonymize({ mode: 'custom', roi: { x: 1, y: 2, width: 30, height: 40 } });
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.body)).toEqual([
      { strategy: 'processor_region', region: { mode: 'device', device_name: 'pentax_epk_i7010' } },
      { strategy: 'processor_region', region: { mode: 'custom', roi: { x: 1, y: 2, width: 30, height: 40 } } },
    ]);
  });

  it('keeps the detector options disabled with the server explanation', async () => {
    const store = useVideoCorrectionStore();
    await store.load(5);
    expect(store.detectorRefusal).toBe(NO_DETECTOR);
    expect(store.automaticRefusal).toBe(NO_DETECTOR);

    detectorAvailable = true;
    await store.load(5);
    expect(store.detectorRefusal).toBeNull();
    expect(await store.anonymizeWithDetector()).toBe(false);
    expect(store.detectorRefusal).toBe(`${NO_DETECTOR} (Server)`);
    expect(await store.removeAutomatically()).toBe(false);
    expect(store.automaticRefusal).toBe(NO_DETECTOR);
    expect(store.running).toBe(false);
  });
});
