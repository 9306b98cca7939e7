import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overlayVoteKey, parseCaseNumber, parseEndoscopeSerial, parseEndoscopeType, parseOverlayDate, parseOverlayField, parseOverlayName, parseOverlayTime } from './overlay-fields.js';

describe('overlay field parsing', () => {
  it('names: labels stripped, umlauts, hyphens and particles kept', () => {
    assert.equal(parseOverlayName('Name: Müller-Lüdenscheidt'), 'Müller-Lüdenscheidt');
    assert.equal(parseOverlayName('NACHNAME: MÜLLER - LÜDENSCHEIDT'), 'MÜLLER-LÜDENSCHEIDT');
    assert.equal(parseOverlayName('Vorname Jürgen'), 'Jürgen');
    assert.equal(parseOverlayName('| Jürgen _'), 'Jürgen', 'OCR debris around the crop');
    assert.equal(parseOverlayName("Pat.: von der O'Brien"), "von der O'Brien");
    assert.equal(parseOverlayName('Name:'), undefined);
    assert.equal(parseOverlayName('03.07.1958'), undefined);
    assert.equal(parseOverlayName('Müller 2'), undefined);
    assert.equal(parseOverlayName('ee'), undefined, 'lower-case noise is not a name');
    assert.equal(parseOverlayName(''), undefined);
  });

  it('dates: German forms to ISO, OCR look-alikes repaired inside numbers, impossible dates refused', () => {
    assert.equal(parseOverlayDate('03.07.1958'), '1958-07-03');
    assert.equal(parseOverlayDate('Geb.: 03.07.1958'), '1958-07-03');
    assert.equal(parseOverlayDate('D.O.B. 3.7.58'), '1958-07-03');
    assert.equal(parseOverlayDate('O3.O7.1958'), '1958-07-03');
    assert.equal(parseOverlayDate('14.03.2O24'), '2024-03-14');
    assert.equal(parseOverlayDate('31.02.2024'), undefined);
    assert.equal(parseOverlayDate('14.03.2024 15.03.2024'), undefined, 'two dates: ambiguous');
    assert.equal(parseOverlayDate('Müller'), undefined);
  });

  it('times', () => {
    assert.equal(parseOverlayTime('09:41:27'), '09:41:27');
    assert.equal(parseOverlayTime('Zeit 9:41'), '09:41');
    assert.equal(parseOverlayTime('O9:4l:27'), '09:41:27');
    assert.equal(parseOverlayTime('25:10'), undefined);
    assert.equal(parseOverlayTime('09:61'), undefined);
    assert.equal(parseOverlayTime('no time'), undefined);
  });

  it('endoscope type and serial, case number', () => {
    assert.equal(parseEndoscopeType('CF-HQ190L'), 'CF-HQ190L');
    assert.equal(parseEndoscopeType('Scope: gif-h190'), 'GIF-H190');
    assert.equal(parseEndoscopeType('CF - HQ190L'), 'CF-HQ190L');
    assert.equal(parseEndoscopeType('Jürgen'), undefined);
    assert.equal(parseEndoscopeSerial('S/N: 2845117'), '2845117');
    assert.equal(parseEndoscopeSerial('SN 28451l7'), '2845117');
    assert.equal(parseEndoscopeSerial('12'), undefined);
    assert.equal(parseCaseNumber('Fallnr: FN-2024-004711'), 'FN-2024-004711');
    assert.equal(parseCaseNumber('Fall'), undefined);
  });

  it('dispatches per field and folds names for voting', () => {
    assert.equal(parseOverlayField('patient_dob', '03.07.1958'), '1958-07-03');
    assert.equal(parseOverlayField('patient_last_name', 'Müller'), 'Müller');
    assert.equal(parseOverlayField('endoscope_sn', '2845117'), '2845117');
    assert.equal(overlayVoteKey('patient_last_name', 'MÜLLER-Lüdenscheidt'), overlayVoteKey('patient_last_name', 'Mueller-Luedenscheidt'));
    assert.notEqual(overlayVoteKey('patient_dob', '1958-07-03'), overlayVoteKey('patient_dob', '1953-07-03'));
  });
});
