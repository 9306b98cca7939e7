/** German names and fixed colours of the default label set (v1 and v2), as the original showed them. */
const LABELS: Record<string, { readonly de: string; readonly color: string }> = {
  appendix: { de: 'Appendix', color: '#8e44ad' },
  blood: { de: 'Blut', color: '#c0392b' },
  diverticule: { de: 'Divertikel', color: '#d35400' },
  grasper: { de: 'Greifzange', color: '#16a085' },
  ileocaecalvalve: { de: 'Ileozäkalklappe', color: '#2980b9' },
  ileum: { de: 'Ileum', color: '#27ae60' },
  low_quality: { de: 'Niedrige Qualität', color: '#7f8c8d' },
  nbi: { de: 'NBI', color: '#2c3e50' },
  needle: { de: 'Nadel', color: '#e67e22' },
  outside: { de: 'Außerhalb', color: '#34495e' },
  polyp: { de: 'Polyp', color: '#e74c3c' },
  snare: { de: 'Schlinge', color: '#f39c12' },
  water_jet: { de: 'Wasserstrahl', color: '#3498db' },
  wound: { de: 'Wunde', color: '#a93226' },
  instrument: { de: 'Instrument', color: '#117a65' },
  digital_chromo_endoscopy: { de: 'Digitale Chromoendoskopie', color: '#5b2c6f' },
};

const FALLBACK = ['#1abc9c', '#9b59b6', '#e84393', '#6c5ce7', '#00b894', '#fdcb6e'];

export function labelDisplayName(name: string): string {
  return LABELS[name]?.de ?? name;
}

export function labelColor(name: string, index = 0): string {
  return LABELS[name]?.color ?? FALLBACK[index % FALLBACK.length] ?? '#888888';
}

export interface LabelInfo {
  readonly id: number;
  readonly name: string;
}
