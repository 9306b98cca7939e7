import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAnnotationStore } from './annotation.store';

/**
 * The store against a scripted server (the real server's segment API is exercised end to end in
 * e2e/); here: what is sent, and that nothing the user did is lost when the server refuses.
 */
type Handler = (method: string, url: string, body: unknown) => [number, unknown];
let handler: Handler;
const calls: { method: string; url: string; body: unknown }[] = [];

beforeEach(() => {
  setActivePinia(createPinia());
  calls.length = 0;
  document.cookie = 'csrftoken=tok';
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url: input, body });
    const [status, json] = handler(method, input, body);
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
  });
});
afterEach(() => vi.unstubAllGlobals());

const SEGMENTS = [{ id: 7, label_id: 1, start_frame_number: 100, end_frame_number: 300, segment_origin: 'manual', annotator: 'anna', version: 3 }];

function server(overrides: Partial<Record<string, [number, unknown]>> = {}): Handler {
  return (method, url) => {
    const key = `${method} ${url.replace(/\?.*$/, '')}`;
    if (overrides[key]) return overrides[key]!;
    if (key === 'GET /endoreg-api/media/videos/5/details/') return [200, { id: 5, original_file_name: 'a.mp4', fps: 25, frame_count: 1000, segment_annotations_validated: false }];
    if (key === 'GET /endoreg-api/media/videos/5/segments/') return [200, url.includes('prediction') ? [] : SEGMENTS];
    if (key === 'GET /endoreg-api/media/videos/5/segments/validation-status/') return [200, { status: 'not_started', segment_annotations_validated: false }];
    return [404, { detail: 'Not found.' }];
  };
}

describe('annotation store', () => {
  it('loads a video, saves one bulk mutation in snake_case with the annotator and CSRF header', async () => {
    handler = server({ 'POST /endoreg-api/media/videos/5/segments/bulk/': [200, { created: [], updated: [], deleted: [] }] });
    const store = useAnnotationStore();
    store.setOwnAnnotator('anna');
    await store.openVideo(5);
    expect(store.draft.size).toBe(1);
    expect(store.fps).toBe(25);
    store.draft.setRange('s7', 110, 300);
    store.draft.create(2, 500, 600, 'anna');
    store.touch();
    expect(store.changeCount).toBe(2);
    expect(await store.save()).toBe(true);
    const bulk = calls.find((c) => c.url.endsWith('/bulk/'))!;
    expect(bulk.body).toMatchObject({
      annotator: 'anna',
      updates: [{ id: 7, label_id: 1, start_frame_number: 110, end_frame_number: 300, version: 3 }],
      creates: [{ label_id: 2, start_frame_number: 500, end_frame_number: 600 }],
      deletes: [],
    });
    expect((bulk.body as { creates: { client_id: string }[] }).creates[0]!.client_id).toMatch(/^c/);
  });

  it('keeps unsaved work on a server error and offers reload/overwrite on 409', async () => {
    handler = server({ 'POST /endoreg-api/media/videos/5/segments/bulk/': [500, {}] });
    const store = useAnnotationStore();
    await store.openVideo(5);
    store.draft.setRange('s7', 120, 300);
    store.touch();
    expect(await store.save()).toBe(false);
    expect(store.error).toMatch(/Serverfehler \(500\).*Eingaben bleiben erhalten/);
    expect(store.dirty).toBe(true);
    expect(store.draft.get('s7')).toMatchObject({ startFrame: 120 });

    handler = server({ 'POST /endoreg-api/media/videos/5/segments/bulk/': [409, { detail: 'Segment wurde geändert.' }] });
    expect(await store.save()).toBe(false);
    expect(store.conflict).toBe(true);
    expect(store.error).toBe('Segment wurde geändert.');
    expect(store.dirty).toBe(true);

    handler = server({ 'POST /endoreg-api/media/videos/5/segments/bulk/': [200, { created: [], updated: [], deleted: [] }] });
    expect(await store.overwrite()).toBe(true);
    expect(store.conflict).toBe(false);
    expect(calls.filter((c) => c.url.endsWith('/bulk/')).at(-1)!.body).toMatchObject({ updates: [{ id: 7, start_frame_number: 120 }] });
  });

  it('validates all segments and becomes read-only', async () => {
    handler = server({ 'POST /endoreg-api/media/videos/5/segments/validate-bulk/': [200, { message: 'ok', segment_annotation_status: { status: 'cleanup_queued', segment_annotations_validated: true } }] });
    const store = useAnnotationStore();
    store.setOwnAnnotator('anna');
    await store.openVideo(5);
    expect(store.readonly).toBe(false);
    await store.validateAll('ok');
    store.stopPolling();
    expect(calls.find((c) => c.url.endsWith('validate-bulk/'))!.body).toEqual({
      segment_ids: [7],
      segments: [{ id: 7, start_time: 4, end_time: 12 }],
      is_validated: true,
      notes: 'ok',
      information_source_name: 'manual_annotation',
      annotator: 'anna',
    });
    expect(store.readonly).toBe(true);
  });
});
