import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAllowedUploadType, looksLikeText, sniffUploadType, sniffWatcherFile } from './mime.js';

const ftyp = (brand: string): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}`), Buffer.alloc(2048)]);
const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n');
const avi = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('AVI LIST'), Buffer.alloc(2048)]);

describe('upload type sniffing (§3.1 step 4)', () => {
  test('content decides first, whatever the name says', async () => {
    assert.deepEqual(await sniffUploadType(pdf, 'video.mp4'), { mime: 'application/pdf', via: 'content' });
    assert.deepEqual(await sniffUploadType(ftyp('isom'), 'x.pdf'), { mime: 'video/mp4', via: 'content' });
    assert.deepEqual(await sniffUploadType(ftyp('qt  '), 'x'), { mime: 'video/quicktime', via: 'content' });
    assert.deepEqual(await sniffUploadType(avi, 'x'), { mime: 'video/x-msvideo', via: 'content' }, 'libmagic name for AVI');
    assert.deepEqual(await sniffUploadType(ftyp('M4V '), 'x'), { mime: 'video/mp4', via: 'content' });
  });

  test('plain text is recognised as text (file-type knows only binary formats)', async () => {
    assert.deepEqual(await sniffUploadType(Buffer.from('Name: Müller\r\nGeb.: 01.02.1950\n'), 'report.pdf'), { mime: 'text/plain', via: 'content' });
    assert.equal(looksLikeText(Buffer.from([0x48, 0x00, 0x49])), false);
    assert.equal(looksLikeText(Buffer.from([0xc3])), true, 'a multi-byte character cut at the sniff boundary');
    assert.equal(looksLikeText(Buffer.alloc(0)), false);
  });

  test('unknown content falls back to the extension, then to the suffix table; nothing else is a failure', async () => {
    const unknown = Buffer.from([0x01, 0x02, 0x03, 0x04, 0x00, 0xff]);
    assert.deepEqual(await sniffUploadType(unknown, 'Scan.PDF'), { mime: 'application/pdf', via: 'extension' });
    assert.deepEqual(await sniffUploadType(unknown, 'a.jpeg'), { mime: 'image/jpeg', via: 'extension' });
    assert.deepEqual(await sniffUploadType(unknown, 'clip.m4v'), { mime: 'video/mp4', via: 'suffix' });
    assert.deepEqual(await sniffUploadType(unknown, 'clip.qt'), { mime: 'video/quicktime', via: 'suffix' });
    assert.equal(await sniffUploadType(unknown, 'data.bin'), undefined);
    assert.equal(await sniffUploadType(unknown, 'noextension'), undefined);
  });

  test('allowed types are exactly the six of §3.1 step 5', () => {
    for (const ok of ['application/pdf', 'video/mp4', 'video/avi', 'video/quicktime', 'video/x-msvideo', 'video/x-ms-wmv']) assert.ok(isAllowedUploadType(ok), ok);
    for (const no of ['text/plain', 'image/jpeg', 'video/webm', 'application/zip', 'video/x-matroska']) assert.ok(!isAllowedUploadType(no), no);
  });

  test('watcher content classes', async () => {
    assert.equal(await sniffWatcherFile(pdf), 'pdf');
    assert.equal(await sniffWatcherFile(ftyp('mp42')), 'video');
    assert.equal(await sniffWatcherFile(Buffer.from('Arztbrief\n')), 'text');
    assert.equal(await sniffWatcherFile(Buffer.from([0, 1, 2, 3])), 'other');
  });
});
