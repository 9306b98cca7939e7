import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pythonJsonDumps, type JsonValue } from './python-json.js';
import { slugToken } from './sap-grouping.js';
import { decodeSapText, splitRecords } from './sap-table.js';
import { casefold, formatDateTimeSeconds, parseSapDateTime, pyStrip } from './sap-values.js';

/**
 * Cross-checks the primitives that must behave like the original's Python runtime (codecs,
 * csv, strptime, json, str methods) against python3 itself, on fixed and random inputs.
 */
const SCRIPT = String.raw`
import csv, io, json, sys
from datetime import datetime
req = json.load(sys.stdin)
out = {}
def decode(b):
    for enc in ("utf-8-sig", "utf-8", "cp1252", "latin-1"):
        try:
            return [b.decode(enc), enc]
        except UnicodeDecodeError:
            pass
out["decode"] = [decode(bytes(b)) for b in req["decode"]]
out["csv"] = [list(csv.reader(io.StringIO(t), delimiter="\t")) for t in req["csv"]]
def parse(v):
    c = v.strip().replace("T", " ")
    for f in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            d = datetime.strptime(c, f)
            return d.isoformat(sep=" ", timespec="seconds") + "|" + str(d.microsecond)
        except ValueError:
            pass
    return None
out["dates"] = [parse(v) for v in req["dates"]]
out["json"] = json.dumps(req["json"], ensure_ascii=True, indent=2, sort_keys=True)
out["strip"] = [chr(c).strip() == "" for c in range(0, 0x3100)]
def slug(v):
    t = "".join(ch.lower() if ch.isalnum() else (ch if ch in "-_" else "_") for ch in v.strip()).strip("_")
    return t
out["slug"] = [slug(v) for v in req["slug"]]
out["casefold"] = [v.casefold() for v in req["casefold"]]
print(json.dumps(out))
`;

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('compatibility with the Python runtime of the original converter', () => {
  const rnd = seededRandom(7);
  const alphabet = ['a', 'b', '\t', '\n', '"', ' ', 'ä', '1'];
  const csvTexts = [
    'a\t"b\tc"\t"x""y"\n"multi\nline"\tz\n\n"ab"cd\te\t\nlast',
    '"unterminated\nx\ty',
    '\t\t\n"\n',
    ...Array.from({ length: 400 }, () => Array.from({ length: Math.floor(rnd() * 24) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('')),
  ];
  const decodeInputs = [
    [...Buffer.from('\ufeffKopf\tä\n', 'utf8')],
    [...Buffer.from('Müller', 'utf8')],
    [0x53, 0xfc, 0x64, 0x80, 0x84, 0x93, 0x9f],
    [0x80, 0x81, 0xe4],
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0xf4, 0x90, 0x80, 0x80],
    ...Array.from({ length: 200 }, () => Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 256))),
  ];
  const dates = [
    '2024-05-17', '2024-05-17 06:45', '2024-05-17 6:5:9', '2024-05-17 06:45:09.5', '2024-05-17T06:45:09.123456', '17.05.2024', '7.5.2024 6:05',
    '17.05.2024 06:45:09', '2024-05-17   06:45', '2024-02-30', '2023-02-29', '2024-13-01', '2024-05-17 24:00', '2024-05-17 10:60', '2024-05-17 10:00:60',
    '2024-05-17 10:00:61', '17.05.2024 06:45:09.5', '2024-05-17 10', '17.05.24', '0000-01-01', '2024-05- 7', '2024-5-17 23:59:59.999999', '31.04.2024', ' 2024-05-17 ',
    '2024-05-17 06:45:09.1234567', '2024-05-17 T06:45', 'T',
  ];
  const jsonValue: JsonValue = {
    zeta: 'Größe ≤ 5 µm — „Befund“ \u007f \u0001 \n\t\\ "quoted" 😀',
    alpha: { 'ä-key': [1, 2, { nested: null, empty: {}, list: [] }], 'Z-upper': true, b: false },
    '': 'empty key',
    numbers: [0, -3, 123456789],
  };
  const slugInputs = ['2001', ' PAT-77/ä ', 'case.001', '__x__', 'Fall Nr 3', 'ÄÖÜß', '١٢٣', '½', '!!!', 'a\u0301b'];
  const casefoldInputs = ['PatientNr', 'Straße', 'DIAGNOSESCHLÜSSEL1', 'pmdAnam', 'İ', 'ﬁle'];

  let py: {
    decode: [string, string][];
    csv: string[][][];
    dates: (string | null)[];
    json: string;
    strip: boolean[];
    slug: string[];
    casefold: string[];
  };

  it('runs the Python reference', () => {
    const r = spawnSync('python3', ['-c', SCRIPT], {
      input: JSON.stringify({ decode: decodeInputs, csv: csvTexts, dates, json: jsonValue, slug: slugInputs, casefold: casefoldInputs }),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    py = JSON.parse(r.stdout) as typeof py;
  });

  it('decodes with the same encoding and text as Python', () => {
    decodeInputs.forEach((bytes, i) => {
      const here = decodeSapText(Uint8Array.from(bytes));
      // Python's utf-8-sig accepts UTF-8 without a BOM too; we name that case 'utf-8'.
      const label = here.encoding === 'utf-8' ? 'utf-8-sig' : here.encoding;
      assert.deepEqual([here.text, label], py.decode[i], `bytes ${bytes.join(',')}`);
    });
  });

  it('splits records exactly like csv.reader', () => {
    csvTexts.forEach((text, i) => assert.deepEqual(splitRecords(text).records, py.csv[i], JSON.stringify(text)));
  });

  it('parses timestamps exactly like the strptime format list', () => {
    dates.forEach((value, i) => {
      const t = parseSapDateTime(value);
      assert.equal(t ? `${formatDateTimeSeconds(t)}|${t.microsecond}` : null, py.dates[i], value);
    });
  });

  it('serializes JSON exactly like json.dumps(ensure_ascii=True, indent=2, sort_keys=True)', () => {
    assert.equal(pythonJsonDumps(jsonValue), py.json);
  });

  it('strips the same whitespace as str.strip()', () => {
    for (let c = 0; c < 0x3100; c += 1) assert.equal(pyStrip(String.fromCharCode(c)) === '', py.strip[c], `U+${c.toString(16)}`);
  });

  it('builds the same file name tokens and header keys', () => {
    slugInputs.forEach((v, i) => assert.equal(slugToken(v, ''), py.slug[i], v));
    casefoldInputs.forEach((v, i) => assert.equal(casefold(v), py.casefold[i], v));
  });
});
