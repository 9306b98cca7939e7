import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sensitiveMetaProposal, voteOverlayFields, type FieldReading } from './overlay-vote.js';

const read = (field: FieldReading['field'], frame: number, value: string | undefined, ocrConfidence = 0.9): FieldReading => ({ field, frame, value, ocrConfidence });

describe('voteOverlayFields', () => {
  it('takes the majority per field; confidence = agreeing share × mean OCR confidence', () => {
    const readings = [
      ...[0, 1, 2, 3, 4, 5].map((f) => read('patient_dob', f, '1958-07-03', 0.9)),
      read('patient_dob', 6, '1953-07-03', 0.99),
      read('patient_dob', 7, undefined, 0),
      ...[0, 1, 2, 3].map((f) => read('patient_last_name', f, 'Müller-Lüdenscheidt', 0.8)),
      read('patient_last_name', 4, 'MÜLLER-LÜDENSCHEIDT', 0.8),
    ];
    const result = voteOverlayFields(readings, 8);
    assert.equal(result.patient_dob?.value, '1958-07-03');
    assert.equal(result.patient_dob?.agreeingFrames, 6);
    assert.equal(result.patient_dob?.confidence, Math.round((6 / 8) * 0.9 * 1000) / 1000);
    assert.equal(result.patient_last_name?.value, 'Müller-Lüdenscheidt', 'spellings vote together; the most frequent is shown');
    assert.equal(result.patient_last_name?.agreeingFrames, 5);
    assert.equal(result.patient_first_name, undefined, 'no reading, no candidate');
  });

  it('a one-off reading wins only with a low confidence; ties go to the better-read value', () => {
    const lonely = voteOverlayFields([read('endoscope_sn', 3, '2845117', 0.95)], 24);
    assert.ok(lonely.endoscope_sn!.confidence < 0.05);
    const tie = voteOverlayFields([read('examination_time', 0, '09:41', 0.6), read('examination_time', 1, '09:47', 0.9)], 2);
    assert.equal(tie.examination_time?.value, '09:47');
  });
});

describe('sensitiveMetaProposal', () => {
  it('proposes confident values under their sensitive_meta column names, with their confidence', () => {
    const candidates = voteOverlayFields(
      [...[0, 1, 2, 3].map((f) => read('patient_first_name', f, 'Jürgen', 0.9)), read('endoscope_sn', 0, '2845117', 0.9)],
      4,
    );
    assert.deepEqual(sensitiveMetaProposal(candidates, 0.3), { values: { patient_first_name: 'Jürgen' }, fieldConfidence: { patient_first_name: 0.9 } });
  });
});
