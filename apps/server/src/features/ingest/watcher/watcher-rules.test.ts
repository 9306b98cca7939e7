import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyDropPath, isIgnoredName } from './drop-dirs.js';
import { parseSidecar } from './sidecar.js';
import { gateDecision, lowDiskReason, observe, type FileSnapshot } from './stability.js';

const dirs = { video: '/d/import/video_import', report: '/d/import/report_import', preanonymized: '/d/import/preanonymized_import' };
const snap = (size: bigint, mtimeNs = 1n, ino = 7n): FileSnapshot => ({ dev: 1n, ino, sizeBytes: size, mtimeNs });
const gate = { stableAfterMs: 10_000, pollMs: 5_000, maxWaitMs: 900_000 };

describe('drop directory rules (§3.5)', () => {
  test('in-progress, lock, hidden, backup, _processing and transcoding names are ignored', () => {
    for (const name of ['a.tmp', 'a.part', 'a.partial', 'a.crdownload', 'a.download', 'a.tmp.mp4', 'a.part.pdf', 'a.lock', '.hidden.pdf', '~a.pdf', 'x_processing.mp4', 'transcoding_1.mp4', 'A.PART']) {
      assert.ok(isIgnoredName(`/d/import/video_import/${name}`), name);
    }
    for (const name of ['Koloskopie 2024.mp4', 'report.pdf', 'partial-colon.mp4']) assert.ok(!isIgnoredName(`/d/${name}`), name);
  });

  test('only direct children of the three directories, with their extensions', () => {
    assert.equal(classifyDropPath('/d/import/video_import/a.MKV', dirs)?.fileType, 'video');
    for (const ext of ['.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v']) assert.ok(classifyDropPath(`/d/import/video_import/v${ext}`, dirs), ext);
    assert.equal(classifyDropPath('/d/import/video_import/a.pdf', dirs), undefined);
    assert.equal(classifyDropPath('/d/import/report_import/a.pdf', dirs)?.kind, 'report');
    assert.equal(classifyDropPath('/d/import/report_import/sub/a.pdf', dirs), undefined);
    assert.equal(classifyDropPath('/d/elsewhere/a.pdf', dirs), undefined);
    const pre = classifyDropPath('/d/import/preanonymized_import/x.y.pdf', dirs);
    assert.deepEqual(pre, { path: '/d/import/preanonymized_import/x.y.pdf', kind: 'preanonymized', fileType: 'report', sidecarPath: '/d/import/preanonymized_import/x.y.json' });
    assert.equal(classifyDropPath('/d/import/preanonymized_import/s.txt', dirs)?.fileType, 'document');
    assert.equal(classifyDropPath('/d/import/preanonymized_import/s.json', dirs), undefined, 'sidecars are not candidates');
    assert.equal(classifyDropPath('/d/import/preanonymized_import/v.avi', dirs), undefined);
  });
});

describe('stability gate (§3.6)', () => {
  test('ready only after the window with an unchanged snapshot and a size above zero', () => {
    let state = observe(undefined, snap(10n), 0);
    assert.deepEqual(gateDecision(state, 0, gate), { kind: 'wait', nextCheckMs: 5_000 });
    state = observe(state, snap(10n), 5_000);
    assert.deepEqual(gateDecision(state, 5_000, gate), { kind: 'wait', nextCheckMs: 5_000 });
    state = observe(state, snap(10n), 10_000);
    assert.deepEqual(gateDecision(state, 10_000, gate), { kind: 'ready' });
  });

  test('any change of size, mtime or inode restarts the window; a check lands exactly at its end', () => {
    let state = observe(undefined, snap(10n), 0);
    state = observe(state, snap(20n), 3_000);
    assert.equal(state.stableSinceMs, 3_000);
    assert.deepEqual(gateDecision(state, 11_000, gate), { kind: 'wait', nextCheckMs: 2_000 });
    state = observe(state, snap(20n, 2n), 12_000);
    assert.equal(state.stableSinceMs, 12_000);
    state = observe(state, snap(20n, 2n, 8n), 13_000);
    assert.equal(state.stableSinceMs, 13_000, 'replaced file');
    assert.equal(state.firstSeenMs, 0);
  });

  test('an empty file never becomes ready; a file changing past the maximum wait is given up', () => {
    const empty = observe(undefined, snap(0n), 0);
    assert.equal(gateDecision(empty, 60_000, gate).kind, 'wait');
    assert.equal(gateDecision(empty, 900_000, gate).kind, 'gave_up');
  });

  test('low disk: less than 5 GB free or more than 90 % used', () => {
    assert.match(lowDiskReason({ freeBytes: 4e9, totalBytes: 1e12, usedFraction: 0.2 }) ?? '', /4\.0 GB free/);
    assert.match(lowDiskReason({ freeBytes: 60e9, totalBytes: 1e12, usedFraction: 0.94 }) ?? '', /94 % used/);
    assert.equal(lowDiskReason({ freeBytes: 60e9, totalBytes: 1e12, usedFraction: 0.5 }), undefined);
  });
});

describe('preanonymized sidecar (PreanonymizedIngestPayload)', () => {
  test('known fields typed, unknown keys ignored, blanks null', () => {
    const r = parseSidecar(JSON.stringify({ casenumber: ' 42 ', patient_dob: '1950-02-03', examination_time: '08:30', center_name: '', extra: [1], raw_columns: { a: 1 } }));
    assert.ok(r.ok);
    assert.equal(r.payload.casenumber, '42');
    assert.equal(r.payload.center_name, null);
    assert.equal(r.payload.text, null);
    assert.deepEqual(r.payload.raw_columns, { a: 1 });
    assert.equal((r.payload as Record<string, unknown>).extra, undefined);
  });

  test('wrong types and formats are refused with field names, never values', () => {
    const r = parseSidecar(JSON.stringify({ casenumber: 4711, patient_dob: '03.02.1950', examination_time: '25:00', raw_columns: 'x', patient_gender: 'x'.repeat(40) }));
    assert.ok(!r.ok);
    for (const field of ['casenumber', 'patient_dob', 'examination_time', 'raw_columns', 'patient_gender']) assert.match(r.reason, new RegExp(field));
    assert.ok(!r.reason.includes('4711') && !r.reason.includes('1950'));
    assert.deepEqual(parseSidecar('{nope'), { ok: false, reason: 'Begleitdatei (.json) ist kein gültiges JSON.' });
    assert.equal(parseSidecar('[1,2]').ok, false);
  });
});
