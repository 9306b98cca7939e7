import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  extractIdentifiersByRules,
  findDates,
  IdentifierMatcher,
  mergeHits,
  parseGermanDate,
  readName,
  replaceIdentifiers,
  withinOneEdit,
  type KnownIdentifier,
} from './index.js';

describe('German dates', () => {
  test('every written form parses to the same ISO date', () => {
    for (const written of ['03.07.1958', '3.7.1958', '3.7.58', '03. 07. 1958', '3. Juli 1958', '3 Juli 1958', '03. Jul. 1958', '1958-07-03', '03/07/1958']) {
      assert.equal(parseGermanDate(written), '1958-07-03', written);
    }
    assert.equal(parseGermanDate('12. März 2024'), '2024-03-12');
    assert.equal(parseGermanDate('12. Maerz 2024'), '2024-03-12');
    assert.equal(parseGermanDate('1. Dez. 1999'), '1999-12-01');
  });

  test('impossible or partial dates are refused', () => {
    for (const bad of ['31.02.2020', '00.01.2020', '12.13.2020', '12.03.2024 x', 'geb. 12.03.2024', '', '2024', '12.03.']) {
      assert.equal(parseGermanDate(bad), undefined, bad);
    }
  });

  test('two-digit years pivot on the current year', () => {
    const yy = new Date().getUTCFullYear() % 100;
    assert.equal(parseGermanDate(`1.1.${String(yy).padStart(2, '0')}`)?.slice(0, 2), '20');
    assert.equal(parseGermanDate(`1.1.${String((yy + 1) % 100).padStart(2, '0')}`)?.slice(0, 2), yy === 99 ? '20' : '19');
  });

  test('dates are found with offsets in running text', () => {
    const text = 'geb. am 03.07.1958, untersucht am 12. März 2024 (Kontrolle 2025-01-31).';
    const found = findDates(text);
    assert.deepEqual(found.map((d) => d.iso), ['1958-07-03', '2024-03-12', '2025-01-31']);
    assert.deepEqual(found.map((d) => text.slice(d.start, d.end)), ['03.07.1958', '12. März 2024', '2025-01-31']);
  });
});

describe('rule-based extraction', () => {
  test('a typical report header yields every field with a confidence', () => {
    const fields = extractIdentifiersByRules(
      [
        'Universitätsklinikum Beispielstadt – Medizinische Klinik II',
        'Patient: Müller-Lüdenscheidt, Hans-Jürgen   geb. am 03.07.1958',
        'Fallnr.: 2024-004711',
        'Untersuchungsdatum: 12.03.2024',
        'Untersucher: Dr. med. Sabine Größmann',
        'Endoskop: Olympus CF-H190L (SN 2817734)',
      ].join('\n'),
    );
    const values = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.value]));
    assert.deepEqual(values, {
      patient_first_name: 'Hans-Jürgen',
      patient_last_name: 'Müller-Lüdenscheidt',
      patient_dob: '1958-07-03',
      casenumber: '2024-004711',
      examination_date: '2024-03-12',
      examiner_first_name: 'Sabine',
      examiner_last_name: 'Größmann',
      endoscope_type: 'Olympus CF-H190L',
      endoscope_sn: '2817734',
    });
    for (const field of Object.values(fields)) assert.ok(field.confidence > 0 && field.confidence <= 1 && field.source === 'rules');
    assert.ok((fields.patient_last_name?.confidence ?? 0) >= 0.85, '"Name, Vorname" is unambiguous');
  });

  test('"Vorname Name", all-caps family names, separate fields and short dates', () => {
    const a = extractIdentifiersByRules('Name: Hans Weber, geb. 3.7.58   Fall-Nr. 123456789\nUntersuchung am 12. März 2024 durch Prof. Dr. Klaus Schäfer');
    assert.equal(a.patient_first_name?.value, 'Hans');
    assert.equal(a.patient_last_name?.value, 'Weber');
    assert.equal(a.patient_dob?.value, '1958-07-03');
    assert.equal(a.casenumber?.value, '123456789');
    assert.equal(a.examination_date?.value, '2024-03-12');
    assert.equal(a.examiner_last_name?.value, 'Schäfer');
    assert.ok((a.patient_last_name?.confidence ?? 1) < 0.9, '"Vorname Name" is less certain than "Name, Vorname"');

    const b = extractIdentifiersByRules('Pat.: MUSTERMANN Erika, PID 4711-0815\nGeschlecht: weiblich');
    assert.equal(b.patient_last_name?.value, 'Mustermann');
    assert.equal(b.patient_first_name?.value, 'Erika');
    assert.equal(b.external_id?.value, '4711-0815');
    assert.equal(b.patient_gender?.value, 'female');

    const c = extractIdentifiersByRules('Vorname: Erika\nNachname: von der Heide\nGeburtsdatum: 12. August 1964\nDatum: 01.02.2023');
    assert.equal(c.patient_first_name?.value, 'Erika');
    assert.equal(c.patient_last_name?.value, 'von der Heide');
    assert.equal(c.patient_dob?.value, '1964-08-12');
    assert.equal(c.examination_date?.value, '2023-02-01');
    assert.ok((c.examination_date?.confidence ?? 1) <= 0.6, 'a bare "Datum:" is weak evidence');

    const d = extractIdentifiersByRules('Patientin: Frau Erika Mustermann *12.08.1964');
    assert.equal(d.patient_gender?.value, 'female');
    assert.equal(d.patient_dob?.value, '1964-08-12');

    const e = extractIdentifiersByRules('Patient:\nSchmidt, Anna\nGeb.-Datum: 1964-08-12');
    assert.equal(e.patient_last_name?.value, 'Schmidt');
    assert.equal(e.examination_date, undefined, '"Geb.-Datum" is not an examination date');
  });

  test('umlauts written as ae/oe/ue are read as written', () => {
    const fields = extractIdentifiersByRules('Patient: Mueller, Juergen geb. 01.02.1950');
    assert.equal(fields.patient_last_name?.value, 'Mueller');
    assert.equal(fields.patient_first_name?.value, 'Juergen');
  });

  test('text without labels yields nothing; label words are never names', () => {
    assert.deepEqual(extractIdentifiersByRules('Die Koloskopie verlief komplikationslos. Kontrolle in 5 Jahren.'), {});
    assert.equal(readName('Geb. Datum'), undefined);
    assert.deepEqual(readName('Herr Dr. med. Klaus Weber'), { first: 'Klaus', last: 'Weber', confidence: 0.75, gender: 'male' });
  });
});

describe('identifier matcher', () => {
  const known: KnownIdentifier[] = [
    { field: 'patient_last_name', value: 'Müller-Lüdenscheidt' },
    { field: 'patient_first_name', value: 'Jürgen' },
    { field: 'patient_dob', value: '1958-07-03' },
    { field: 'casenumber', value: 'FN-2024-004711' },
  ];
  const matcher = new IdentifierMatcher(known);
  const fieldsIn = (text: string): string[] => [...new Set(matcher.find(text).map((h) => h.field))].sort();

  test('exact, case and umlaut folding, separators between parts ignored', () => {
    assert.deepEqual(fieldsIn('MUELLER-LUEDENSCHEIDT'), ['patient_last_name']);
    assert.deepEqual(fieldsIn('müller lüdenscheidt'), ['patient_last_name']);
    assert.deepEqual(fieldsIn('Herr JUERGEN'), ['patient_first_name']);
    assert.deepEqual(fieldsIn('Fall FN 2024 004711'), ['casenumber']);
    assert.deepEqual(fieldsIn('FN2024004711'), ['casenumber']);
  });

  test('one edit for tokens of five or more letters, never for shorter ones', () => {
    assert.deepEqual(fieldsIn('Muller'), ['patient_last_name'], 'OCR dropped the umlaut dots');
    assert.deepEqual(fieldsIn('Lüdenscheid'), ['patient_last_name'], 'one deletion in a part');
    assert.deepEqual(fieldsIn('Jurgen'), ['patient_first_name']);
    const short = new IdentifierMatcher([{ field: 'patient_last_name', value: 'Kuhn' }]);
    assert.equal(short.find('Kahn und Kuhl').length, 0);
    assert.equal(short.find('KUHN').length, 1);
    assert.equal(withinOneEdit('abcde', 'abde'), true);
    assert.equal(withinOneEdit('abcde', 'abxye'), false);
  });

  test('words split by OCR are still found', () => {
    assert.deepEqual(fieldsIn('Müller-Lüdenscheidt, J Urgen'), ['patient_first_name', 'patient_last_name']);
    assert.deepEqual(fieldsIn('Herr Mül ler'), ['patient_last_name']);
    const single = new IdentifierMatcher([{ field: 'patient_last_name', value: 'Schneider' }]);
    assert.equal(single.find('Frau Schnei der').length, 1);
    assert.equal(single.find('Frau Schnei dermaßen').length, 0);
  });

  test('dates in every written form and compact forms', () => {
    for (const written of ['03.07.1958', '3.7.58', '3. Juli 1958', '1958-07-03', '03071958', '19580703']) {
      assert.deepEqual(fieldsIn(`geb. ${written}`), ['patient_dob'], written);
    }
    assert.deepEqual(fieldsIn('am 04.07.1958'), []);
  });

  test('the parts of a compound name are found alone; particles and unrelated text are not', () => {
    assert.deepEqual(fieldsIn('Frau Lüdenscheidt'), ['patient_last_name']);
    const particle = new IdentifierMatcher([{ field: 'patient_last_name', value: 'von der Heide' }]);
    assert.equal(particle.find('Bericht von der Station').length, 0);
    assert.equal(particle.find('Heide').length, 1);
    assert.deepEqual(fieldsIn('Gute Darmvorbereitung, kein Befund.'), []);
  });

  test('placeholder values are not searched; overlapping hits merge', () => {
    assert.equal(new IdentifierMatcher([{ field: 'patient_last_name', value: 'unknown' }]).isEmpty, true);
    const hits = mergeHits(matcher.find('Müller-Lüdenscheidt'));
    assert.equal(hits.length, 1);
    assert.deepEqual([hits[0]?.start, hits[0]?.end], [0, 19]);
  });
});

describe('pseudonymous replacement', () => {
  const known: KnownIdentifier[] = [
    { field: 'patient_last_name', value: 'Müller-Lüdenscheidt' },
    { field: 'patient_first_name', value: 'Jürgen' },
    { field: 'patient_dob', value: '1958-07-03' },
    { field: 'examiner_last_name', value: 'Östreicher' },
  ];
  const text = 'Patient: Müller-Lüdenscheidt, Jürgen *03.07.1958. Herr MUELLER-LUEDENSCHEIDT (geb. 3. Juli 1958) wurde von Dr. Oestreicher untersucht; Rückruf bei Muller.';

  test('every occurrence of every identifier is replaced, deterministically', () => {
    const replacements = { patient_last_name: 'Bauer', patient_first_name: 'Jörg', patient_dob: '02.06.1958', examiner_last_name: 'Hahn' };
    const first = replaceIdentifiers(text, known, replacements);
    assert.equal(first.text, 'Patient: Bauer, Jörg *02.06.1958. Herr Bauer (geb. 02.06.1958) wurde von Dr. Hahn untersucht; Rückruf bei Bauer.');
    assert.deepEqual(first.counts, { patient_last_name: 3, patient_first_name: 1, patient_dob: 2, examiner_last_name: 1 });
    assert.equal(new IdentifierMatcher(known).find(first.text).length, 0);
    assert.deepEqual(replaceIdentifiers(text, known, replacements), first);
  });

  test('a field without a pseudonym gets a placeholder, never its value', () => {
    const result = replaceIdentifiers('Fallnr. 2024-0815', [{ field: 'casenumber', value: '2024-0815' }], {});
    assert.equal(result.text, 'Fallnr. [Fallnummer]');
  });
});
