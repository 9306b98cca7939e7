import { describe, expect, it } from 'vitest';
import { checkForm, formFromMeta, validatePayload } from '../features/anonymization/validation-form';
import { isoToGerman, parseGermanDate } from './dates';

describe('German dates (DD.MM.YYYY)', () => {
  it('accepts real calendar dates only', () => {
    expect(parseGermanDate('29.02.2024')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseGermanDate('29.02.2023')).toBeUndefined();
    expect(parseGermanDate('31.04.2020')).toBeUndefined();
    expect(parseGermanDate('1.2.2020')).toBeUndefined();
    expect(parseGermanDate('2020-02-01')).toBeUndefined();
    expect(parseGermanDate('00.01.2020')).toBeUndefined();
    expect(parseGermanDate('01.13.2020')).toBeUndefined();
    expect(parseGermanDate(' 07.11.1961 ')).toEqual({ year: 1961, month: 11, day: 7 });
  });

  it('shows server ISO dates in German', () => {
    expect(isoToGerman('1961-11-07')).toBe('07.11.1961');
    expect(isoToGerman('2024-03-05T10:00:00Z')).toBe('05.03.2024');
    expect(isoToGerman(null)).toBe('');
  });
});

describe('validation form', () => {
  const meta = { patientFirstName: 'Max', patientLastName: 'Mustermann', patientGender: 'male', patientDob: '1961-11-07', examinationDate: '2024-03-05', casenumber: '123' };

  it('prefills from SensitiveMeta and passes the checks', () => {
    const form = formFromMeta(meta, { anonymizedText: 'Text' });
    expect(form).toMatchObject({ patientDob: '07.11.1961', examinationDate: '05.03.2024', patientGender: 'male', anonymizedText: 'Text' });
    expect(checkForm(form, 'video')).toEqual({});
  });

  it('reports invalid dates, an exam before birth, missing names and a missing PDF document type in German', () => {
    const form = formFromMeta(meta);
    form.patientDob = '31.02.1961';
    expect(checkForm(form, 'video').patientDob).toMatch(/TT\.MM\.JJJJ/);
    form.patientDob = '07.11.1961';
    form.examinationDate = '01.01.1960';
    expect(checkForm(form, 'video').examinationDate).toBe('Das Untersuchungsdatum liegt vor dem Geburtsdatum.');
    form.patientLastName = ' ';
    expect(checkForm(form, 'video').patientLastName).toBe('Nachname fehlt.');
    expect(checkForm(formFromMeta(meta), 'pdf').documentType).toBe('Bitte einen Dokumenttyp wählen.');
    const pdf = formFromMeta(meta, { documentType: 'xyz' });
    expect(checkForm(pdf, 'pdf', ['report']).documentType).toBe('Unbekannter Dokumenttyp.');
  });

  it('builds the original approval payload', () => {
    const form = formFromMeta(meta, { documentType: 'report' });
    form.noMoreNames = 'confirmed';
    form.tags = ['Nochmal Überprüfen'];
    expect(validatePayload(form, 'pdf')).toMatchObject({
      patientFirstName: 'Max',
      patientDob: '07.11.1961',
      examinationDate: '05.03.2024',
      isVerified: true,
      fileType: 'pdf',
      documentType: 'report',
      noMoreNamesConfirmed: true,
      tags: ['Nochmal Überprüfen'],
    });
    expect(validatePayload(form, 'video')).not.toHaveProperty('documentType');
  });
});

describe('gender prefill', () => {
  it('maps the spellings extracted metadata uses', () => {
    expect(formFromMeta({ patientGender: 'männlich' }).patientGender).toBe('male');
    expect(formFromMeta({ patientGender: 'W' }).patientGender).toBe('female');
    expect(formFromMeta({ gender: 'd' }).patientGender).toBe('divers');
    expect(formFromMeta({ patientGender: 'unbekannt' }).patientGender).toBe('');
  });
});
