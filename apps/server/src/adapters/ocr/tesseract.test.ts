import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MediaToolError } from '../ffmpeg/index.js';
import { testTools } from '../ffmpeg/testdata/fixtures.js';
import { TesseractOcr } from './tesseract.js';
import { parseTesseractTsv } from './tsv.js';

let dir: string;

async function textImage(name: string, text: string, options: { dark?: boolean } = {}): Promise<string> {
  const path = join(dir, name);
  const [bg, fg] = options.dark ? ['black', 'white'] : ['white', 'black'];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="60"><rect width="600" height="60" fill="${bg}"/><text x="12" y="42" font-family="DejaVu Sans" font-size="30" fill="${fg}">${text}</text></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
  return path;
}

describe('parseTesseractTsv', () => {
  it('splits words into pages (one per listed image), lines and a mean confidence', () => {
    const tsv = [
      'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
      '1\t1\t0\t0\t0\t0\t0\t0\t550\t44\t-1\t',
      '5\t1\t1\t1\t1\t1\t11\t9\t91\t22\t90.0\tName:',
      '5\t1\t1\t1\t1\t2\t118\t8\t299\t23\t80.0\tMüller-Lüdenscheidt',
      '5\t1\t1\t1\t2\t1\t11\t40\t91\t22\t70.0\tJürgen',
      '1\t2\t0\t0\t0\t0\t0\t0\t550\t44\t-1\t',
      '5\t3\t1\t1\t1\t1\t0\t0\t532\t44\t96.5\t03.07.1958',
      '5\t3\t1\t1\t1\t2\t0\t0\t532\t44\t-1\t ',
    ].join('\n');
    const pages = parseTesseractTsv(tsv, 3);
    assert.equal(pages.length, 3);
    assert.equal(pages[0]!.text, 'Name: Müller-Lüdenscheidt\nJürgen');
    assert.ok(Math.abs(pages[0]!.confidence - 0.8) < 1e-9);
    assert.deepEqual(pages[1], { text: '', confidence: 0, words: [] });
    assert.equal(pages[2]!.text, '03.07.1958');
    assert.ok(Math.abs(pages[2]!.confidence - 0.965) < 1e-9);
  });

  it('ignores pages beyond the list and malformed rows', () => {
    assert.deepEqual(parseTesseractTsv('5\t9\t1\t1\t1\t1\t0\t0\t1\t1\t90\tx\ngarbage', 1), [{ text: '', confidence: 0, words: [] }]);
  });
});

describe('TesseractOcr', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-ocr-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a batch with German umlauts; results line up with the inputs, empty crops stay empty', async () => {
    const images = [
      await textImage('a.png', 'Müller-Lüdenscheidt'),
      await textImage('b.png', ''),
      await textImage('c.png', 'Jürgen'),
      await textImage('d.png', '03.07.1958'),
      await textImage('e.png', 'Größe Straße'),
    ];
    const ocr = new TesseractOcr(testTools(), { processes: 2, workDir: dir });
    const results = await ocr.recognize(images, { layout: 'single_line' });
    assert.deepEqual(results.map((r) => r.text), ['Müller-Lüdenscheidt', '', 'Jürgen', '03.07.1958', 'Größe Straße']);
    for (const r of results.filter((x) => x.text)) assert.ok(r.confidence > 0.8, `confidence of ${r.text}: ${r.confidence}`);
    assert.equal(results[1]!.confidence, 0);
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('ocr-')), [], 'list files removed');
  });

  it('reads scattered text with the sparse layout', async () => {
    const path = join(dir, 'sparse.png');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="500" height="400"><rect width="500" height="400" fill="white"/><text x="20" y="40" font-family="DejaVu Sans" font-size="28">Jürgen</text><text x="260" y="330" font-family="DejaVu Sans" font-size="28">2845117</text></svg>';
    await sharp(Buffer.from(svg)).png().toFile(path);
    const [result] = await new TesseractOcr(testTools(), { processes: 1, workDir: dir }).recognize([path], { layout: 'sparse' });
    assert.match(result!.text, /Jürgen/);
    assert.match(result!.text, /2845117/);
  });

  it('runs one process per batch, single-threaded, with TESSDATA_PREFIX from the settings and nothing else inherited', async () => {
    const log = join(dir, 'calls.log');
    const fake = join(dir, 'fake-tesseract');
    // Prints one recognised word per listed image, so batching and order are visible.
    await writeFile(fake, `#!/bin/sh\necho "call OMP=$OMP_THREAD_LIMIT TESS=$TESSDATA_PREFIX HOME=$HOME psm=$6 lang=$4" >> ${log}\necho "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"\nn=0\nwhile read -r f; do n=$((n+1)); echo "5\t$n\t1\t1\t1\t1\t0\t0\t1\t1\t90\t$(basename "$f")"; done < "$1"\n`);
    await chmod(fake, 0o755);
    const images = Array.from({ length: 9 }, (_, i) => join(dir, `img${i}.png`));
    const ocr = new TesseractOcr({ ...testTools(), tesseract: fake, tessdataPrefix: '/opt/tessdata-test' }, { processes: 2, workDir: dir });
    const results = await ocr.recognize(images, { layout: 'single_line' });
    assert.deepEqual(results.map((r) => r.text), images.map((p) => p.split('/').pop()));
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(calls.length, 2, 'nine crops, two processes');
    for (const call of calls) assert.equal(call, 'call OMP=1 TESS=/opt/tessdata-test HOME= psm=7 lang=deu+eng');
  });

  it('fails clearly when the language data is not where TESSDATA_PREFIX says', async () => {
    const ocr = new TesseractOcr({ ...testTools(), tessdataPrefix: join(dir, 'no-tessdata') }, { processes: 2, workDir: dir });
    const image = await textImage('x.png', 'Test');
    await assert.rejects(
      ocr.recognize([image, image, image, image], { layout: 'single_line' }),
      (e: unknown) => e instanceof MediaToolError && e.tool === 'tesseract' && e.code === 'exit_code' && /deu|traineddata|language/i.test(e.detail),
    );
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('ocr-')), [], 'every batch cleaned up');
  });

  it('refuses relative or multi-line image paths (they would break the list file)', async () => {
    const ocr = new TesseractOcr(testTools(), { workDir: dir });
    await assert.rejects(ocr.recognize(['relative.png'], { layout: 'single_line' }), RangeError);
    await assert.rejects(ocr.recognize([`${dir}/a\n/etc/passwd`], { layout: 'single_line' }), RangeError);
    assert.deepEqual(await ocr.recognize([], { layout: 'single_line' }), []);
  });
});
