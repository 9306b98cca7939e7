import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { casefold, coerceValue, formatDateTimeSeconds, normalizeGender, parseSapDateTime, pyStrip, type SapDateTime } from './sap-values.js';

const dt = (value: string): string | null => {
  const t = parseSapDateTime(value);
  return t ? `${formatDateTimeSeconds(t)}.${String(t.microsecond).padStart(6, '0')}` : null;
};

describe('SAP value coercion', () => {
  it('parses the ISO and German timestamp formats of the export', () => {
    assert.equal(dt('2024-05-17'), '2024-05-17 00:00:00.000000');
    assert.equal(dt('2024-05-17 06:45'), '2024-05-17 06:45:00.000000');
    assert.equal(dt('2024-05-17 06:45:09'), '2024-05-17 06:45:09.000000');
    assert.equal(dt('2024-05-17 06:45:09.5'), '2024-05-17 06:45:09.500000');
    assert.equal(dt('2024-05-17T06:45:09.123456'), '2024-05-17 06:45:09.123456');
    assert.equal(dt('17.05.2024'), '2024-05-17 00:00:00.000000');
    assert.equal(dt('7.5.2024 6:05'), '2024-05-07 06:05:00.000000');
    assert.equal(dt(' 17.05.2024 06:45:09 '), '2024-05-17 06:45:09.000000');
    assert.equal(dt('2024-05-17   06:45'), '2024-05-17 06:45:00.000000');
  });

  it('rejects what strptime and the datetime constructor reject', () => {
    for (const bad of ['', '   ', '2024-02-30', '2023-02-29 10:00', '2024-13-01', '2024-05-17 24:00', '2024-05-17 10:60', '2024-05-17 10:00:60', '17.05.2024 06:45:09.5', '2024-05-17 10', '2024/05/17', '17.05.24', '2024-05-17 06:45:09.1234567', 'heute']) {
      assert.equal(parseSapDateTime(bad), null, bad);
    }
    assert.ok(parseSapDateTime('2024-02-29'));
  });

  it('coerces str, int and bool like the original', () => {
    assert.equal(coerceValue('  Station Süd \u00a0', 'str'), 'Station Süd');
    assert.equal(coerceValue(' \t ', 'str'), null);
    assert.equal(coerceValue(null, 'str'), null);
    assert.equal(coerceValue(' 64 ', 'int'), 64);
    assert.equal(coerceValue('+7', 'int'), 7);
    assert.equal(coerceValue('64,5', 'int'), null);
    for (const yes of ['1', 'TRUE', 'yes', 'Y', 'Ja']) assert.equal(coerceValue(yes, 'bool'), true, yes);
    for (const no of ['0', 'false', 'No', 'n', 'NEIN']) assert.equal(coerceValue(no, 'bool'), false, no);
    assert.equal(coerceValue('X', 'bool'), null);
    const t = coerceValue('17.05.2024 06:30', 'datetime') as SapDateTime;
    assert.equal(t.hour, 6);
  });

  it('strips Python whitespace, not JavaScript whitespace', () => {
    assert.equal(pyStrip('\x1c\x85 a \u3000'), 'a');
    assert.equal(pyStrip('\ufeffa'), '\ufeffa');
  });

  it('case-folds like casefold() (ß becomes ss)', () => {
    assert.equal(casefold('Straße'), 'strasse');
    assert.equal(casefold('PMDANAM'), casefold('pmdAnam'));
  });

  it('normalizes German and English gender spellings and keeps the rest', () => {
    assert.equal(normalizeGender('W'), 'female');
    assert.equal(normalizeGender('männlich'), 'male');
    assert.equal(normalizeGender('Divers'), 'other');
    assert.equal(normalizeGender(' X '), 'X');
    assert.equal(normalizeGender(null), null);
  });
});
