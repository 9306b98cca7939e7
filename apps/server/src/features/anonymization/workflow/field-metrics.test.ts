import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareField, compareFields, similarity } from './field-metrics.js';

test('an unchanged value is an exact match with similarity 1', () => {
  assert.deepEqual(compareField('patient_last_name', ' Müller ', 'Müller'), { field_name: 'patient_last_name', present_before: true, present_after: true, changed: false, exact_match: true, similarity: 1 });
});

test('a corrected value is changed, with a similarity below 1', () => {
  const m = compareField('patient_first_name', 'Jurgen', 'Jürgen');
  assert.equal(m.changed, true);
  assert.equal(m.exact_match, false);
  assert.equal(m.similarity, Math.round((1 - 1 / 6) * 10_000) / 10_000);
});

test('a value added or removed by the person is recorded as absent before or after', () => {
  const [added, removed, empty] = compareFields(['casenumber', 'external_id', 'patient_gender'], { casenumber: null, external_id: 'X1' }, { casenumber: 'FN-1', external_id: '' });
  assert.deepEqual([added?.present_before, added?.present_after, added?.similarity], [false, true, 0]);
  assert.deepEqual([removed?.present_before, removed?.present_after, removed?.changed], [true, false, true]);
  assert.deepEqual([empty?.changed, empty?.similarity], [false, 1]);
  assert.equal(similarity('abc', 'ABC'), 1, 'case is folded');
});
