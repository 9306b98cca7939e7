import { writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A tiny zip writer for tests: real deflate or stored data, and every field a hostile
 * archive might fake (names, Unix mode bits, encryption flag, declared sizes).
 */
export interface ZipMember {
  /** Written as given: `../x.txt`, `/abs.txt`, `a\\b.txt` are all possible. */
  readonly name: string;
  readonly data?: Buffer | string;
  readonly method?: 'deflate' | 'store';
  /** Unix mode in the external attributes, e.g. 0o100644 (file), 0o120777 (symlink), 0o040755 (dir). */
  readonly mode?: number;
  /** Sets the "encrypted" flag bit (the data itself stays plain). */
  readonly encrypted?: boolean;
  /** Lie about the uncompressed size in both headers. */
  readonly declaredSize?: number;
  /** Lie about the CRC-32 of the data. */
  readonly crc?: number;
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

export function buildZip(members: readonly ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosTime = (10 << 11) | (30 << 5);
  const dosDate = ((2024 - 1980) << 9) | (5 << 5) | 17;
  for (const m of members) {
    const data = typeof m.data === 'string' ? Buffer.from(m.data, 'utf8') : (m.data ?? Buffer.alloc(0));
    const method = m.method === 'store' ? 0 : 8;
    const payload = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(m.name, 'utf8');
    const flags = 0x800 | (m.encrypted ? 0x1 : 0);
    const size = m.declaredSize ?? data.length;
    const crc = m.crc ?? crc32(data);
    const common = [u16(20), u16(flags), u16(method), u16(dosTime), u16(dosDate), u32(crc), u32(payload.length), u32(size), u16(name.length), u16(0)];
    const local = Buffer.concat([u32(0x04034b50), ...common, name, payload]);
    const mode = m.mode ?? (m.name.endsWith('/') ? 0o040755 : 0o100644);
    const central = Buffer.concat([u32(0x02014b50), u16((3 << 8) | 20), ...common, u16(0), u16(0), u16(0), u32(mode * 0x10000), u32(offset), name]);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(members.length), u16(members.length), u32(cd.length), u32(offset), u16(0)]);
  return Buffer.concat([...locals, cd, eocd]);
}

export function writeZip(path: string, members: readonly ZipMember[]): string {
  writeFileSync(path, buildZip(members));
  return path;
}

/** Tab-separated text with `\n` line ends, as the tests feed the importer. */
export function tsv(header: readonly string[], rows: readonly (readonly string[])[], newline = '\n'): string {
  return [header, ...rows].map((r) => r.join('\t')).join(newline) + newline;
}

const CP1252_HIGH: Record<string, number> = {
  '€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e,
  '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
};

/** Windows-1252 bytes of `text` (Node has no encoder for it). */
export function encodeCp1252(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const special = CP1252_HIGH[ch];
    if (special !== undefined) bytes.push(special);
    else if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) bytes.push(code);
    else throw new Error(`not encodable in cp1252: ${ch}`);
  }
  return Buffer.from(bytes);
}

/** UTF-8 with a byte order mark, as Excel and SAP GUI write "Unicode (UTF-8)". */
export function encodeUtf8Sig(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

// ---------------------------------------------------------------------------------------------
// A realistic SAP IS-H export: one table per document type of reference-contracts §7, German
// values, umlauts in Windows-1252 and UTF-8-with-BOM tables, all under one export folder.

/** Patient 4711 has case 900001 with every document type; patient 5820 has no case. */
export function sapExportMembers(folder = 'ISH_Export_2024-05-20/'): ZipMember[] {
  const t = (name: string, data: Buffer | string): ZipMember => ({ name: `${folder}${name}`, data });
  return [
    t('Bewegungen.txt', encodeCp1252(tsv(['PatientNr', 'FallNr', 'Zugangszeit', 'Behandlungsort', 'Fachabteilung', 'Zimmer'], [
      ['4711', '900001', '15.05.2024 22:10', 'Notaufnahme', 'Innere Medizin', ''],
      ['4711', '900001', '16.05.2024 08:00', 'Station Süd 3', 'Gastroenterologie', '312'],
    ], '\r\n'))),
    t('Briefe.txt', encodeUtf8Sig(tsv(['PatientNr', 'FallNr', 'dateErstellzeit', 'strText'], [
      ['4711', '900001', '2024-05-20 11:00:00', 'Entlassbrief: Gastroskopie ohne Befund – Kontrolle in 6 Monaten.'],
    ], '\r\n'))),
    t('CWD.txt', tsv(['PatientNr', 'FallNr', 'Dokumentzeit', 'Dokumentnummer', 'Dokumentversion', 'pmdAnam'], [
      ['4711', '900001', '2024-05-16 14:20:00', 'CWD-100', '1', 'Pat. berichtet über Oberbauchschmerzen seit 3 Tagen, Übelkeit.'],
    ])),
    t('Diagnosen.txt', encodeCp1252(tsv(['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit', 'KzAufnahmediagnose', 'KzBehandlungsdiagnose', 'KzEntlassdiagnose', 'KzFachabteilungshauptdiagnose', 'KzKrankenhaushauptdiagnose', 'KzNebendiagnose', 'KzOperationsdiagnose', 'Diagnosetext'], [
      ['4711', '900001', 'K29.7', '16.05.2024 09:00', '1', '0', '1', '0', '1', '0', '0', 'Gastritis, nicht näher bezeichnet'],
    ]))),
    t('Labor.txt', tsv(['PatientNr', 'FallNr', 'Dokumentzeit', 'Leistung', 'Leistungstext', 'Messwert'], [
      ['4711', '900001', '2024-05-16 06:45:00', 'CRP', 'C-reaktives Protein', '12,4'],
    ])),
    t('Meona.txt', tsv(['PatientNr', 'id', 'tradename', 'patient_id', 'apply_date', 'prepare_date', 'creation_date', 'actual_dose', 'unit_dose_name', 'main_application_id', 'main_order_id', 'status'], [
      ['4711', '88001', 'Pantoprazol 40 mg', '4711', '2024-05-16 08:00:00', '2024-05-16 07:30:00', '2024-05-15 23:00:00', '40', 'mg', 'APP-1', 'ORD-77', 'verabreicht'],
    ])),
    t('Pathodocs.txt', tsv(['PatientNr', 'FallNr', 'Dokumentnummer', 'Dokumentzeit', 'DokumenttypID'], [['4711', '900001', 'PATH-555', '2024-05-17 10:00:00', 'HISTO']])),
    t('Patienten.txt', tsv(['PatientNr', 'PatientAlter', 'Geschlecht'], [
      ['4711', '67', 'W'],
      ['5820', '45', 'M'],
    ])),
    t('Prozeduren.txt', tsv(['PatientNr', 'FallNr', 'OPCode', 'Beginnzeit'], [['4711', '900001', '1-632.0', '2024-05-17 09:30:00']])),
    t('Radiologie.txt', encodeUtf8Sig(tsv(['PatientNr', 'FallNr', 'Dokumentzeit', 'Dokumentnummer', 'Dokumentversion', 'kurbefund', 'befund', 'beurteilung'], [
      ['4711', '900001', '2024-05-16 11:00:00', 'RAD-9', '2', 'Sono Abdomen unauffällig', 'Leber normal groß, keine Gallensteine.', 'Kein pathologischer Befund.'],
    ]))),
    t('Stammdaten.txt', tsv(['PatientNr', 'FallNr', 'PatientAlter', 'Geschlecht'], [['4711', '900001', '67', 'weiblich']])),
  ];
}
