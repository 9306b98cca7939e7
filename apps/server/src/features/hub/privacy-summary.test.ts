import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ageBand, privacySummary, type PrivacyCase } from './privacy-summary.js';

const make = (n: number, over: Partial<PrivacyCase> = {}): PrivacyCase[] =>
  Array.from({ length: n }, (_, i) => ({ centerKey: 'klinik-a', resourceKind: 'video', examinationHash: `e${i}`, examYear: '2024', patientDob: '1961-05-01', patientGender: 'female', ...over, ...(over.examinationHash ? {} : { examinationHash: `${over.centerKey ?? 'a'}-${over.patientGender ?? 'f'}-${i}` }) }));

describe('k-anonymity summary (k = 5)', () => {
  test('age bands: 10-year steps from the examination year, 90+ capped, unknown without dates', () => {
    assert.equal(ageBand('1961-05-01', '2024'), '60-69');
    assert.equal(ageBand('1930-01-01', '2024'), '90+');
    assert.equal(ageBand(null, '2024'), 'unknown');
    assert.equal(ageBand('2030-01-01', '2024'), 'unknown');
  });

  test('classes count distinct examinations; a class below k is reported', () => {
    const ok = privacySummary(make(5));
    assert.equal(ok.satisfies_k, true);
    assert.equal(ok.class_count, 1);
    const mixed = privacySummary([...make(6), ...make(2, { patientGender: 'male' })]);
    assert.equal(mixed.satisfies_k, false);
    assert.equal(mixed.classes_below_k, 1);
    assert.equal(mixed.cases_below_k, 2);
    assert.equal(mixed.total_cases, 8);
    const duplicates = privacySummary(make(5, { examinationHash: 'same' }));
    assert.equal(duplicates.total_cases, 1, 'two videos of one examination are one case');
    assert.equal(privacySummary([]).satisfies_k, false);
  });
});
