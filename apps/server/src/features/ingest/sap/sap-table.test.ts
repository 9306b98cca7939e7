import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSapText, parseSapTable, SapTableError, splitRecords } from './sap-table.js';

const cp1252Umlauts = Buffer.from([0x53, 0xfc, 0x64, 0x20, 0x80, 0x84, 0x93]); // "Süd €„“"

describe('SAP table decoding', () => {
  it('tries utf-8-sig, utf-8, cp1252, latin-1 in that order', () => {
    assert.deepEqual(decodeSapText(Buffer.from('\ufeffPatientNr', 'utf8')), { text: 'PatientNr', encoding: 'utf-8-sig' });
    assert.deepEqual(decodeSapText(Buffer.from('Müller', 'utf8')), { text: 'Müller', encoding: 'utf-8' });
    assert.deepEqual(decodeSapText(cp1252Umlauts), { text: 'Süd €„“', encoding: 'cp1252' });
    // 0x81 is undefined in Python's cp1252, so the whole table falls back to ISO-8859-1.
    assert.deepEqual(decodeSapText(Buffer.from([0x80, 0x81, 0xe4])), { text: '\u0080\u0081ä', encoding: 'latin-1' });
  });

  it('refuses binary and UTF-16 content instead of importing garbage', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('PatientNr\tFallNr\n', 'utf16le')]);
    assert.throws(() => parseSapTable(utf16), (e: Error) => e instanceof SapTableError && /NUL bytes/.test(e.message));
  });
});

describe('SAP table records (Python csv semantics, tab delimiter)', () => {
  it('handles quotes, doubled quotes, quoted newlines and trailing fields', () => {
    const { records, openQuoteRecord } = splitRecords('a\t"b\tc"\t"x""y"\n"multi\nline"\tz\n\n"ab"cd\te\t\nlast');
    assert.deepEqual(records, [['a', 'b\tc', 'x"y'], ['multi\nline', 'z'], [], ['abcd', 'e', ''], ['last']]);
    assert.equal(openQuoteRecord, undefined);
  });

  it('keeps an unterminated quote as one last field and reports it', () => {
    const { records, openQuoteRecord } = splitRecords('a\tb\n1\t"never closed\n2\t3\n');
    assert.deepEqual(records, [['a', 'b'], ['1', 'never closed\n2\t3\n']]);
    assert.equal(openQuoteRecord, 1);
  });

  it('numbers rows like the original (header 1, empty lines not counted) and skips blank rows', () => {
    const table = parseSapTable(Buffer.from('PatientNr\tFallNr\r\n\r\n1\t2\r\n\t\r\n3\t4\r\n'));
    assert.deepEqual(table.headers, ['PatientNr', 'FallNr']);
    assert.deepEqual(
      table.rows.map((r) => [r.rowNumber, [...r.cells.values()]]),
      [
        [2, ['1', '2']],
        [4, ['3', '4']],
      ],
    );
  });

  it('drops unnamed columns and keeps the last of duplicate headers', () => {
    const table = parseSapTable(Buffer.from('A\t\tA\tB\t\n1\tx\t2\t3\t\n'));
    assert.deepEqual(table.headers, ['A', 'B']);
    assert.deepEqual([...table.rows[0]!.cells], [
      ['A', '2'],
      ['B', '3'],
    ]);
  });

  it('accepts rows without the trailing tab of an unnamed last header column', () => {
    const table = parseSapTable(Buffer.from('A\tB\t\n1\t2\n'));
    assert.equal(table.rows.length, 1);
  });

  it('refuses ragged tables, naming the row, never a value', () => {
    const short = Buffer.from('PatientNr\tFallNr\tText\n1\t2\tBefund mit\nZeilenumbruch\n');
    assert.throws(() => parseSapTable(short), /row 3 has 1 fields, the header has 3/);
    const long = Buffer.from('PatientNr\tFallNr\n1\t2\tverrutscht\n');
    assert.throws(() => parseSapTable(long), (e: Error) => /row 2 has 3 fields/.test(e.message) && !e.message.includes('verrutscht'));
    assert.throws(() => parseSapTable(Buffer.from('A\tB\n1\t"open\n2\t3\n')), /row 2: a quoted field is never closed/);
  });

  it('refuses a table without a header row', () => {
    for (const text of ['', '\n\nA\tB\n', '\t\t\n1\t2\n']) assert.throws(() => parseSapTable(Buffer.from(text)), /no header row/);
  });
});
