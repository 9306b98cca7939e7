// Golden workflows in Debian's Chromium against the real server on SQLite. Screenshots of every
// page go to e2e/artifacts/ (look at them: a confusing page is not done).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDemoReportPdf } from '../apps/server/src/demo/demo-report-pdf.js';
import { HUB_NODE, makeValidatedReport, makeValidatedVideo, SITE_NODE } from '../apps/server/test/integration/hub-support.js';
import { insertProcessedVideo, makeBrightnessVideo } from '../apps/server/test/integration/segments-support.js';
import { videoAnonymizationStatus } from '../apps/server/src/features/media/video-status.js';
import { PASSWORD, signInThroughPage, startStack, type Stack } from './harness.js';

/** 6 s at 10 fps, 128×96: a lit 64×64 picture on black, as the field-of-view detection expects of an endoscope. */
function makeEndoscopeLikeVideo(dir: string): string {
  const out = join(dir, 'endoscope-like.mp4');
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=128x96:r=10:d=6', '-f', 'lavfi', '-i', 'color=c=0x909090:s=64x64:r=10:d=6',
      '-filter_complex', '[0][1]overlay=48:16,format=yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-y', out],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return out;
}

// Page-side callbacks run in the browser; module-local declarations keep the DOM library out of
// the server's type program.
declare const document: { querySelector(selector: string): { value?: unknown; width?: number; naturalWidth?: number; textContent?: string | null } | null };

describe('web app golden workflows (chromium)', { timeout: 420_000 }, () => {
  let stack: Stack;
  let work: string;
  let videoId: number;

  before(async () => {
    stack = await startStack({ worker: true });
    work = await mkdtemp(join(tmpdir(), 'lx-e2e-files-'));
    const users = stack.runtime.auth.users;
    await users.create({ username: 'klinikerin', displayName: 'Dr. Klinikerin', password: PASSWORD, roles: ['endoregdb_user'], centerKeys: ['klinik-a'] }, 'e2e');
    await users.create({ username: 'leser', password: PASSWORD, roles: ['patient:read'], centerKeys: ['klinik-a'] }, 'e2e');
    const center = (await stack.runtime.centers.byKey('klinik-a'))!;
    videoId = await insertProcessedVideo(stack.runtime, center.id, makeBrightnessVideo(work), 'e2e-video');
    // Anonymized, as the pipeline leaves it: its frames can be streamed (the timeline's hover preview).
    await stack.runtime.db.updateTable('video_states').set({ anonymized: true, updated_at: new Date().toISOString() }).where('video_file_id', '=', videoId).execute();
  });
  /** A processed 128×96 clip of klinik-a with its raw file stored too (re-runs and the original's playback read it). */
  async function insertStoredClip(seed: string): Promise<number> {
    const center = (await stack.runtime.centers.byKey('klinik-a'))!;
    const file = makeEndoscopeLikeVideo(work);
    const id = await insertProcessedVideo(stack.runtime, center.id, file, seed);
    await (await stack.runtime.storage.service()).write(`videos/raw/${seed}.mp4`, createReadStream(file));
    return id;
  }
  after(async () => {
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('signing in through /login/ lands on the overview with the main path in the sidebar', async () => {
    const { context, page } = await stack.newPage();
    try {
      await signInThroughPage(page, 'klinikerin', '/anonymisierung/uebersicht');
      await page.waitForURL('**/anonymisierung/uebersicht');
      await page.getByTestId('overview-table').waitFor();
      const nav = await page.locator('nav').innerText();
      assert.match(nav, /1\. Videoübersicht – Anonymisierung starten/);
      assert.match(nav, /1b\. Validierung fortsetzen/);
      assert.match(nav, /2\. Videountersuchung bearbeiten/);
      assert.match(await page.getByTestId('signed-in-as').innerText(), /Dr\. Klinikerin/);
      await stack.shot(page, '01-overview');
    } finally {
      await context.close();
    }
  });

  test('a user without the rights sees "Nicht berechtigt" and no menu entry for the page', async () => {
    const { context, page } = await stack.newPage();
    try {
      await signInThroughPage(page, 'leser', '/video-untersuchung');
      await page.getByTestId('not-authorized').waitFor();
      assert.doesNotMatch(await page.locator('nav').innerText(), /Videountersuchung/);
      await stack.shot(page, '02-not-authorized');
    } finally {
      await context.close();
    }
  });

  test('the registry export page shows readiness, candidates and the privacy summary', async () => {
    const { context, page } = await stack.newPage();
    try {
      await signInThroughPage(page, 'klinikerin', '/hub-export');
      await page.getByTestId('privacy-summary').waitFor();
      assert.match(await page.getByTestId('privacy-summary').innerText(), /k-Anonymität, k = 5/);
      // This site has no hub node configured: the page says so instead of failing silently.
      await page.getByTestId('hub-not-ready').waitFor();
      // The administration overview's readiness panel (hub findings of lx-annotate check), in German.
      assert.match(await page.getByTestId('hub-readiness').innerText(), /Registerexport ist nicht eingerichtet/);
      await stack.shot(page, '08-hub-export');
    } finally {
      await context.close();
    }
  });

  // Runs after the test above on purpose: that one asserts the site without hub nodes; from here on the site has both.
  test('with a hub configured, a validated report is marked and unmarked on the registry export page', async () => {
    const center = (await stack.runtime.centers.byKey('klinik-a'))!;
    await stack.runtime.hub.nodes.add('e2e', { displayName: 'Klinik A', role: 'site_node', nodeKey: SITE_NODE, baseUrl: '', centerKey: 'klinik-a' });
    // Never contacted: nothing is queued, so no transfer is attempted.
    await stack.runtime.hub.nodes.add('e2e', { displayName: 'Zentrale', role: 'central_hub', nodeKey: HUB_NODE, baseUrl: 'https://hub.invalid' });
    const report = await makeValidatedReport(stack.runtime, center.id, 1);
    const video = await makeValidatedVideo(stack.runtime, center.id, Buffer.from('ENDOSKOPIE-FRAME '.repeat(1000)), 1);
    const outbound = () => stack.runtime.db.selectFrom('outbound_hub_transfer_jobs').select(['resource_kind', 'pdf_file_id', 'video_file_id', 'local_status']).execute();
    const { context, page } = await stack.newPage();
    try {
      await signInThroughPage(page, 'klinikerin', '/hub-export');
      const reportRow = page.getByTestId(`hub-row-report-${report.id}`);
      const videoRow = page.getByTestId(`hub-row-video-${video.id}`);
      await reportRow.waitFor();
      assert.match(await page.locator('.hub__bar').innerText(), new RegExp(`Quellknoten: ${SITE_NODE}`));
      assert.deepEqual(await page.locator('.hub__bar select option').allInnerTexts(), ['Zentrale']);
      assert.equal(await reportRow.getByTestId('hub-eligible').innerText(), 'ja');
      assert.equal(await videoRow.getByTestId('hub-eligible').innerText(), 'ja');
      assert.match(await reportRow.innerText(), new RegExp(`Bericht #${report.id}\\s+klinik-a`));
      // The video of `before` is anonymized but not validated: listed, blocked, not selectable.
      const blocked = page.getByTestId(`hub-row-video-${videoId}`);
      assert.equal(await blocked.getByTestId('hub-eligible').innerText(), 'nein – noch nicht für den Export freigegeben');
      assert.equal(await blocked.getByRole('checkbox').isDisabled(), true);
      assert.equal(await reportRow.getByTestId('hub-transfer-status').innerText(), '–');

      // Privacy summary: the page's numbers are the server's, and the report forms a class of its own.
      const overview = await page.request.get('/endoreg-api/hub-export/overview/');
      assert.equal(overview.status(), 200, await overview.text());
      const privacy = ((await overview.json()) as { privacy_summary: { total_cases: number; class_count: number; classes_below_k: number; cases_below_k: number; classes: { center_key: string; resource_kind: string; exam_year: string; age_band: string; gender: string; count: number }[] } }).privacy_summary;
      assert.deepEqual(
        privacy.classes.filter((c) => c.resource_kind === 'report'),
        [{ center_key: 'klinik-a', resource_kind: 'report', exam_year: '2023', age_band: '60-69', gender: 'male', count: 1 }],
      );
      assert.ok(privacy.classes.some((c) => c.resource_kind === 'video' && c.exam_year === '2024' && c.gender === 'female' && c.count === 1), JSON.stringify(privacy.classes));
      assert.equal(privacy.total_cases, privacy.classes.reduce((sum, c) => sum + c.count, 0));
      const summary = await page.getByTestId('privacy-summary').innerText();
      assert.match(summary, new RegExp(`${privacy.total_cases} Fälle in ${privacy.class_count} Klassen; ${privacy.classes_below_k} Klasse\\(n\\) mit zusammen ${privacy.cases_below_k} Fällen liegen unter k\\.`), summary);
      // The classes below k are listed for a person to look at, in German.
      await page.getByTestId('privacy-classes').locator('summary').click();
      const classRows = await page.getByTestId('privacy-classes').locator('tbody tr').allInnerTexts();
      assert.equal(classRows.length, privacy.classes_below_k);
      assert.ok(classRows.some((r) => /klinik-a\s+Bericht\s+2023\s+60-69\s+männlich\s+1/.test(r)), JSON.stringify(classRows));

      // Mark the report only.
      assert.equal(await page.getByRole('button', { name: 'Vormerken (0)' }).isDisabled(), true);
      await reportRow.getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Vormerken (1)', exact: true }).click();
      await page.getByText('1 Datei(en) für den Export vorgemerkt.').waitFor();
      await reportRow.getByTestId('hub-transfer-status').getByText('vorgemerkt', { exact: true }).waitFor();
      assert.equal(await videoRow.getByTestId('hub-transfer-status').innerText(), '–');
      assert.equal(await reportRow.getByRole('checkbox').isChecked(), false);
      assert.deepEqual(await outbound(), [{ resource_kind: 'report', pdf_file_id: report.id, video_file_id: null, local_status: 'marked' }]);
      await stack.shot(page, '08b-hub-export-marked');

      // Unmark it again: the ledger row is gone, and so is the status on the page.
      await reportRow.getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Vormerkung entfernen' }).click();
      await page.getByText('1 Vormerkung(en) entfernt.').waitFor();
      await page.waitForFunction((id) => document.querySelector(`[data-testid=hub-row-report-${id}] [data-testid=hub-transfer-status]`)?.textContent === '–', report.id);
      assert.deepEqual(await outbound(), []);
      await stack.shot(page, '08c-hub-export-unmarked');
    } finally {
      await context.close();
    }
  });

  test('the video correction page checks the frame list, removes frames on the server and shows the history', async () => {
    const { context, page } = await stack.newPage();
    try {
      // A video of its own (the annotation test below uses the other), with its raw file stored: removal re-runs from it.
      const id = await insertStoredClip('e2e-correction');
      await signInThroughPage(page, 'klinikerin', `/anonymisierung/korrektur/${id}?mediaType=video`);
      const info = page.getByTestId('vc-info');
      await info.waitFor();
      assert.match(await info.innerText(), /Bilder gesamt\s+60/);
      const presets = await page.getByTestId('preset').locator('option').allInnerTexts();
      for (const device of ['olympus_cv_1500', 'olympus_cv_190', 'pentax_epk_i7010', 'fujifilm_vp_4450hd']) assert.ok(presets.includes(device), device);
      assert.match(await page.getByTestId('detector-refusal').innerText(), /kein PHI-Detektor konfiguriert/);
      await page.getByTestId('frame-list').fill('5,9-7');
      assert.equal(await page.getByTestId('frame-list-error').innerText(), 'Im Bereich „9-7“ ist das Ende kleiner als der Anfang.');
      assert.equal(await page.getByTestId('remove-frames').isDisabled(), true);
      await page.getByTestId('frame-list').fill('5,7-9');
      await page.getByTestId('remove-frames').click();
      await page.getByTestId('vc-progress').waitFor();
      // Polling ends when the worker's run has finished: either the result or the server's German reason.
      await page.getByTestId('vc-progress').waitFor({ state: 'detached', timeout: 120_000 });
      const removal = page.getByTestId('video-history').locator('tbody tr', { hasText: 'Bildentfernung' });
      assert.match(await removal.innerText(), /erfolgreich[\s\S]*Bilder 5,7-9/, await removal.innerText());
      assert.equal(await removal.getByRole('link', { name: 'Herunterladen' }).count(), 1);
      assert.match(await page.getByTestId('vc-info').innerText(), /128 × 96/);

      // A custom mask region typed in video pixels: the run succeeds and its result can be downloaded.
      await page.getByLabel('Eigener Bereich').check();
      await page.getByTestId('roi-x').fill('0');
      await page.getByTestId('roi-y').fill('0');
      await page.getByTestId('roi-height').fill('8');
      await page.getByTestId('roi-width').fill('200');
      assert.match(await page.locator('.vc__invalid').innerText(), /über den rechten Bildrand hinaus \(Bildbreite 128 px\)/);
      await page.getByTestId('roi-width').fill('16');
      await page.getByTestId('apply-mask').click();
      await page.getByTestId('vc-progress').waitFor();
      await page.getByTestId('vc-progress').waitFor({ state: 'detached', timeout: 120_000 });
      const mask = page.getByTestId('video-history').locator('tbody tr', { hasText: 'Maske' }).first();
      await stack.shot(page, '09-video-correction');
      assert.match(await mask.innerText(), /erfolgreich[\s\S]*eigener Bereich 16×8 @ 0,0/, await mask.innerText());
      assert.equal(await mask.getByRole('link', { name: 'Herunterladen' }).count(), 1);
    } finally {
      await context.close();
    }
  });

  test('a processed video is validated: an outside segment blocks "Bestätigen" until it is checked', async () => {
    const { context, page } = await stack.newPage();
    try {
      const id = await insertStoredClip('e2e-video-validation');
      // The pipeline's end state (anonymized, metadata extracted), as the worker leaves it.
      await stack.runtime.db
        .updateTable('video_states')
        .set({ processing_started: true, frames_extracted: true, anonymized: true, sensitive_meta_processed: true, updated_at: new Date().toISOString() })
        .where('video_file_id', '=', id)
        .execute();
      const state = () => stack.runtime.db.selectFrom('video_states').selectAll().where('video_file_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(videoAnonymizationStatus(await state()), 'done_processing_anonymization');

      await signInThroughPage(page, 'klinikerin', `/anonymisierung/validierung?fileId=${id}&mediaType=video`);
      await page.getByTestId('validation-form').waitFor();
      assert.match(await page.locator('.val__head').innerText(), new RegExp(`Video · Datei #${id}`));
      // An outside segment, created through the API with the signed-in session.
      await page.request.get('/endoreg-api/conf/');
      const csrf = (await context.cookies()).find((c) => c.name === 'csrftoken')?.value ?? '';
      const created = await page.request.post(`/endoreg-api/media/videos/${id}/segments/`, { data: { label_name: 'outside', start_frame_number: 10, end_frame_number: 45 }, headers: { 'X-CSRFToken': csrf } });
      assert.equal(created.status(), 201, await created.text());
      await page.fill('input[name=firstName]', 'Erika');
      await page.fill('input[name=lastName]', 'Musterfrau');
      await page.fill('input[name=dob]', '02.03.1955');
      await page.getByLabel('Keine weiteren Namen').check();
      // The gate: closed until the outside segments have been loaded and every one validated.
      assert.equal(await page.getByTestId('approve').isDisabled(), true);
      await page.getByText('Erst Außerhalb-Segmente prüfen.').waitFor();
      await page.getByRole('button', { name: 'Segment-Annotation prüfen' }).click();
      await page.getByText('0 / 1 geprüft').waitFor();
      assert.match(await page.locator('fieldset', { hasText: 'Außerhalb-Segmente' }).innerText(), /Bild 10–45/);
      assert.equal(await page.getByTestId('approve').isDisabled(), true);
      await page.getByRole('button', { name: 'validieren', exact: true }).click();
      await page.getByText('1 / 1 geprüft').waitFor();
      assert.equal(await page.getByTestId('approve').isDisabled(), false);
      await stack.shot(page, '10-video-validation');
      await page.getByTestId('approve').click();
      await page.getByTestId('validation-done').waitFor();
      assert.match(await page.getByTestId('validation-done').innerText(), /Validierung gespeichert\.[\s\S]*Weiter zur Segment-Annotation/);
      await stack.shot(page, '11-video-validated');

      const after = await state();
      assert.equal(videoAnonymizationStatus(after), 'validated');
      assert.equal(Number(after.anonymization_validated), 1);
      const segment = await stack.runtime.db.selectFrom('label_video_segments').select(['is_validated']).where('video_file_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(Number(segment.is_validated), 1);
      const video = await stack.runtime.db.selectFrom('video_files').select(['sensitive_meta_id']).where('id', '=', id).executeTakeFirstOrThrow();
      const meta = await stack.runtime.db.selectFrom('sensitive_meta').selectAll().where('id', '=', Number(video.sensitive_meta_id)).executeTakeFirstOrThrow();
      assert.equal(Number(meta.names_verified), 1);
    } finally {
      await context.close();
    }
  });

  test('uploading the demo PDF shows progress; once anonymized it can be validated', async () => {
    const pdf = join(work, 'Befund-Demo.pdf');
    await writeDemoReportPdf(pdf);
    const { context, page } = await stack.newPage();
    try {
      await signInThroughPage(page, 'klinikerin', '/anonymisierung/uebersicht');
      await page.getByTestId('overview-table').waitFor();
      await page.getByTestId('pdf-input').setInputFiles(pdf);
      await page.getByTestId('upload-progress').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.value === 1);
      await stack.shot(page, '03-upload-progress');
      // The worker extracts, OCRs and redacts the PDF for real: give a loaded machine time.
      await page.getByTestId('validate-now').waitFor({ timeout: 200_000 });
      await page.getByTestId('validate-now').click();
      await page.getByTestId('validation-form').waitFor();
      await page.waitForFunction(() => document.querySelector('input[name=lastName]')?.value !== '');
      // Correction first: draw a box on the raw page, redact on the server, see it succeed.
      await page.getByTestId('correction-link').click();
      const stage = page.getByTestId('redaction-stage');
      await stage.locator('canvas').waitFor();
      await page.waitForFunction(() => (document.querySelector('[data-testid=redaction-stage] canvas')?.width ?? 0) > 300);
      const sb = (await stage.boundingBox())!;
      await page.mouse.move(sb.x + 80, sb.y + 120);
      await page.mouse.down();
      await page.mouse.move(sb.x + 300, sb.y + 160, { steps: 4 });
      await page.mouse.up();
      await page.getByTestId('apply-redactions').click();
      await page.getByTestId('pdf-history').getByText('Schwärzung').waitFor({ timeout: 120_000 });
      await page.getByTestId('pdf-history').getByRole('row').filter({ hasText: 'Schwärzung' }).getByText('erfolgreich').waitFor({ timeout: 120_000 });
      await page.locator('[data-testid="pdf-Vorschau"][data-state="ready"] canvas').first().waitFor();
      await stack.shot(page, '04a-correction');
      await page.goBack();
      await page.getByTestId('validation-form').waitFor();
      await page.waitForFunction(() => document.querySelector('input[name=lastName]')?.value !== '');
      const docType = page.locator('select[name=documentType]');
      const options = await docType.locator('option').allInnerTexts();
      assert.ok(options.length > 1, `document types offered: ${options.join(', ')}`);
      await docType.selectOption({ index: 1 });
      // A bad date is refused in German before anything is sent; the typed data stays.
      await page.fill('input[name=dob]', '31.02.1970');
      await page.getByTestId('approve').click();
      await page.getByText('Geburtsdatum bitte als TT.MM.JJJJ mit gültigem Datum eingeben.').waitFor();
      await page.fill('input[name=dob]', '07.11.1961');
      await stack.shot(page, '04-validation');
      await page.getByTestId('approve').click();
      await page.getByTestId('validation-done').waitFor();
      await stack.shot(page, '05-validated');
      // Case resolution: validation created the pseudo patient and examination; the page shows the link.
      await page.getByTestId('case-link').click();
      await page.getByTestId('case-resolution').waitFor();
      assert.match(await page.getByTestId('case-resolution').innerText(), /Pseudo-Patient\s+#\d+/);
      await stack.shot(page, '05b-case-resolution');
    } finally {
      await context.close();
    }
  });

  test('segment annotation with mouse and keyboard, saved in one bulk request and still there after a reload', async () => {
    const { context, page } = await stack.newPage();
    try {
      await signInThroughPage(page, 'klinikerin', `/video-untersuchung?video=${videoId}`);
      const canvas = page.getByTestId('timeline-canvas');
      await canvas.waitFor();
      const box = (await canvas.boundingBox())!;
      const laneY = (lane: number) => box.y + 18 + lane * 22 + 11;
      const xAt = (frame: number) => box.x + (frame / 60) * box.width;
      // Mouse: drag a range on the first lane → a segment of that label.
      await page.mouse.move(xAt(5), laneY(0));
      await page.mouse.down();
      await page.mouse.move(xAt(25), laneY(0), { steps: 5 });
      await page.mouse.move(xAt(45), laneY(0), { steps: 5 });
      await page.mouse.up();
      await page.getByTestId('segment-editor').waitFor();
      assert.equal(await page.getByTestId('segment-count').innerText(), '1 Segmente');
      // Mouse: move the segment by dragging its body.
      await page.mouse.move(xAt(25), laneY(0));
      await page.mouse.down();
      await page.mouse.move(xAt(30), laneY(0), { steps: 5 });
      await page.mouse.up();
      assert.equal(await page.getByTestId('segment-start').inputValue(), '00:01.00');
      // Keyboard: undo the move, copy, jump to the end boundary, paste, delete the pasted one, undo.
      await page.keyboard.press('Control+z');
      await page.mouse.click(xAt(20), laneY(0));
      assert.equal(await page.getByTestId('segment-start').inputValue(), '00:00.05');
      await page.keyboard.press('Control+c');
      await page.keyboard.press(']');
      await page.keyboard.press(']');
      await page.keyboard.press('Control+v');
      assert.equal(await page.getByTestId('segment-count').innerText(), '2 Segmente');
      await page.keyboard.press('Delete');
      assert.equal(await page.getByTestId('segment-count').innerText(), '1 Segmente');
      await page.keyboard.press('Control+z');
      assert.equal(await page.getByTestId('segment-count').innerText(), '2 Segmente');
      await page.mouse.click(xAt(52), laneY(0));
      assert.equal(await page.getByTestId('segment-start').inputValue(), '00:02.00');
      // Keyboard: exact entry of the selected segment through the editor.
      await page.getByTestId('segment-end').fill('00:05.09');
      await page.getByTestId('segment-end').press('Enter');
      assert.match(await page.getByTestId('dirty').innerText(), /2 ungespeicherte/);
      await stack.shot(page, '06-annotation-draft');
      await page.getByTestId('save').click();
      await page.getByTestId('dirty').waitFor({ state: 'detached' });
      await page.reload();
      await canvas.waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid=segment-count]')?.textContent === '2 Segmente');
      const stored = await stack.runtime.db.selectFrom('label_video_segments').select(['start_frame_number', 'end_frame_number']).where('video_file_id', '=', videoId).where('segment_origin', '=', 'manual').orderBy('start_frame_number').execute();
      assert.deepEqual(
        stored.map((s) => [Number(s.start_frame_number), Number(s.end_frame_number)]),
        [
          [5, 45],
          [20, 59],
        ],
      );
      // Validate all, with confirmation; the page becomes read-only.
      await page.getByTestId('validate-all').click();
      await page.getByTestId('dialog-confirm').click();
      await page.getByTestId('validation-status').waitFor();
      await stack.shot(page, '07-annotation-validated');
      // Zoomed in, hovering the timeline previews the frame under the pointer (the frame stream endpoint).
      await page.getByRole('button', { name: 'Zoom +' }).click();
      const zoomed = (await canvas.boundingBox())!;
      await page.mouse.move(zoomed.x + zoomed.width / 2, zoomed.y + 8);
      await page.mouse.move(zoomed.x + zoomed.width / 2 + 4, zoomed.y + 8);
      const preview = page.getByTestId('scrub-preview');
      await preview.waitFor();
      assert.match((await preview.getAttribute('alt')) ?? '', /^Vorschau: Bild \d+ \(\d\d:\d\d\.\d\d\)$/);
      await page.waitForFunction(() => (document.querySelector('[data-testid=scrub-preview]')?.naturalWidth ?? 0) > 0);
      await stack.shot(page, '07b-scrub-preview');
    } finally {
      await context.close();
    }
  });
});
