/** A pixel rectangle in the full video frame. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export const OVERLAY_FIELDS = [
  'examination_date',
  'examination_time',
  'patient_last_name',
  'patient_first_name',
  'patient_dob',
  'casenumber',
  'endoscope_type',
  'endoscope_sn',
] as const;
export type OverlayField = (typeof OVERLAY_FIELDS)[number];

export interface ProcessorPreset {
  readonly name: string;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly endoscopeImage: Rect;
  readonly overlayRois: Partial<Record<OverlayField, Rect>>;
  /**
   * `measured`: geometry taken from the original system; `preset`: an explicit
   * starting point an operator should confirm on a sample video (editable).
   */
  readonly geometrySource: 'measured' | 'preset';
}

/**
 * Processor presets. Only olympus_cv_1500 carries measured geometry in the original;
 * the others silently fell back to a stub there. Here they get explicit presets,
 * and masking never relies on them alone: everything outside the endoscope image is
 * blacked out, and the field of view is detected per video when no preset fits.
 */
export const PROCESSORS: readonly ProcessorPreset[] = [
  {
    name: 'olympus_cv_1500',
    imageWidth: 1920,
    imageHeight: 1080,
    endoscopeImage: { x: 550, y: 0, width: 1350, height: 1080 },
    overlayRois: {
      examination_date: { x: 0, y: 0, width: 300, height: 40 },
      examination_time: { x: 300, y: 0, width: 250, height: 40 },
      patient_last_name: { x: 0, y: 40, width: 550, height: 45 },
      patient_first_name: { x: 0, y: 85, width: 550, height: 45 },
      patient_dob: { x: 0, y: 130, width: 550, height: 45 },
      endoscope_type: { x: 0, y: 990, width: 550, height: 45 },
      endoscope_sn: { x: 0, y: 1035, width: 550, height: 45 },
    },
    geometrySource: 'measured',
  },
  {
    name: 'olympus_cv_190',
    imageWidth: 1920,
    imageHeight: 1080,
    endoscopeImage: { x: 600, y: 0, width: 1320, height: 1080 },
    overlayRois: {
      patient_last_name: { x: 0, y: 20, width: 600, height: 45 },
      patient_first_name: { x: 0, y: 65, width: 600, height: 45 },
      patient_dob: { x: 0, y: 110, width: 600, height: 45 },
      examination_date: { x: 0, y: 155, width: 600, height: 45 },
      examination_time: { x: 0, y: 200, width: 600, height: 45 },
    },
    geometrySource: 'preset',
  },
  {
    name: 'pentax_epk_i7010',
    imageWidth: 1920,
    imageHeight: 1080,
    endoscopeImage: { x: 400, y: 0, width: 1440, height: 1080 },
    overlayRois: {
      patient_last_name: { x: 0, y: 0, width: 400, height: 50 },
      patient_dob: { x: 0, y: 50, width: 400, height: 50 },
      examination_date: { x: 0, y: 100, width: 400, height: 50 },
    },
    geometrySource: 'preset',
  },
  {
    name: 'fujifilm_vp_4450hd',
    imageWidth: 1920,
    imageHeight: 1080,
    endoscopeImage: { x: 480, y: 0, width: 1440, height: 1080 },
    overlayRois: {
      patient_last_name: { x: 0, y: 0, width: 480, height: 50 },
      patient_dob: { x: 0, y: 50, width: 480, height: 50 },
      examination_date: { x: 0, y: 100, width: 480, height: 50 },
    },
    geometrySource: 'preset',
  },
];

export interface CenterSeed {
  readonly name: string;
  readonly displayName: string;
  readonly centerKey: string;
}

export const CENTERS: readonly CenterSeed[] = [
  { name: 'university_hospital_wuerzburg', displayName: 'Universitätsklinikum Würzburg', centerKey: 'university-hospital-wuerzburg' },
];

export const EXAMINATIONS: readonly { name: string; displayName: string }[] = [
  { name: 'colonoscopy', displayName: 'Koloskopie' },
  { name: 'gastroscopy', displayName: 'Gastroskopie' },
  { name: 'ercp', displayName: 'ERCP' },
  { name: 'endosonography', displayName: 'Endosonographie' },
  { name: 'capsule_endoscopy', displayName: 'Kapselendoskopie' },
  { name: 'sigmoidoscopy', displayName: 'Sigmoidoskopie' },
];

/** Labels of the default colonoscopy model, with German display names. */
export const LABELS: readonly { name: string; displayName: string }[] = [
  { name: 'appendix', displayName: 'Appendix' },
  { name: 'blood', displayName: 'Blut' },
  { name: 'diverticule', displayName: 'Divertikel' },
  { name: 'grasper', displayName: 'Zange' },
  { name: 'ileocaecalvalve', displayName: 'Ileozäkalklappe' },
  { name: 'ileum', displayName: 'Ileum' },
  { name: 'low_quality', displayName: 'Niedrige Qualität' },
  { name: 'nbi', displayName: 'NBI' },
  { name: 'needle', displayName: 'Nadel' },
  { name: 'outside', displayName: 'Außerhalb' },
  { name: 'polyp', displayName: 'Polyp' },
  { name: 'snare', displayName: 'Schlinge' },
  { name: 'water_jet', displayName: 'Wasserstrahl' },
  { name: 'wound', displayName: 'Wunde' },
  { name: 'instrument', displayName: 'Instrument' },
  { name: 'digital_chromo_endoscopy', displayName: 'Digitale Chromoendoskopie' },
];

export const LABEL_SETS: readonly { name: string; version: number; labels: readonly string[] }[] = [
  {
    name: 'multilabel_classification_colonoscopy_default',
    version: 1,
    labels: ['appendix', 'blood', 'diverticule', 'grasper', 'ileocaecalvalve', 'ileum', 'low_quality', 'nbi', 'needle', 'outside', 'polyp', 'snare', 'water_jet', 'wound'],
  },
  {
    name: 'multilabel_classification_colonoscopy_default',
    version: 2,
    labels: ['appendix', 'blood', 'diverticule', 'instrument', 'ileocaecalvalve', 'ileum', 'low_quality', 'digital_chromo_endoscopy', 'outside', 'polyp', 'water_jet', 'wound'],
  },
];
