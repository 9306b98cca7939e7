import type { OverlayField } from '../features/knowledge-base/index.js';

/**
 * The fictitious patient burned into demo videos. Every value is invented; the name has
 * umlauts and a hyphen on purpose because those are what OCR and matching get wrong.
 */
export const DEMO_IDENTITY = {
  patient: { lastName: 'Müller-Lüdenscheidt', firstName: 'Jürgen', dob: '1958-07-03', gender: 'male' },
  examination: { date: '2024-03-14', time: '09:41:27', caseNumber: 'FN-2024-004711', examiner: 'Dr. Hildegard Östreicher' },
  endoscope: { type: 'CF-HQ190L', serial: '2845117' },
} as const;

function german(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

/** The text shown in each overlay rectangle of the Olympus CV-1500 layout. */
export const DEMO_OVERLAY_TEXT: Partial<Record<OverlayField, string>> = {
  examination_date: german(DEMO_IDENTITY.examination.date),
  examination_time: DEMO_IDENTITY.examination.time,
  patient_last_name: DEMO_IDENTITY.patient.lastName,
  patient_first_name: DEMO_IDENTITY.patient.firstName,
  patient_dob: german(DEMO_IDENTITY.patient.dob),
  endoscope_type: DEMO_IDENTITY.endoscope.type,
  endoscope_sn: DEMO_IDENTITY.endoscope.serial,
};
