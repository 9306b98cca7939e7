/**
 * German texts of the hub readiness findings (`admin/hub-readiness/`, the same checks as
 * `lx-annotate check`, whose details stay English for operators' logs).
 */
export interface HubReadinessCheck {
  name: string;
  ok: boolean;
  severity: 'critical' | 'warning';
  detail: string;
}

export const CHECK_LABELS: Record<string, string> = {
  hub_source_node: 'Quellknoten dieses Standorts',
  hub_target_node: 'Genau ein aktiver Hub (https)',
  hub_export_certificates: 'Zertifikatsdateien lesbar (Client-Zertifikat, Schlüssel, CA)',
  hub_recipient_keys: 'Empfängerschlüssel des Hubs lesbar',
};

const DETAILS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^expected exactly one active site_node, found (\d+)$/, (m) => `Es muss genau ein aktiver Quellknoten eingetragen sein (gefunden: ${m[1]}).`],
  [/^expected exactly one active central_hub, found (\d+)$/, (m) => `Es muss genau ein aktiver Hub eingetragen sein (gefunden: ${m[1]}).`],
  [/^base_url is not https$/, () => 'Die Adresse des Hubs verwendet kein https.'],
  [/^readable$/, () => 'lesbar'],
  [/^missing or unreadable: (.+)$/, (m) => `Fehlt oder nicht lesbar: ${m[1]}`],
  [/^(\d+) key file\(s\) readable$/, (m) => `${m[1]} Schlüsseldatei(en) lesbar`],
  [/^unreadable: (.+)$/, (m) => `Nicht lesbar: ${m[1]}`],
];

/** The German detail; node keys and setting names pass unchanged. */
export function checkDetail(check: HubReadinessCheck): string {
  for (const [pattern, text] of DETAILS) {
    const m = pattern.exec(check.detail);
    if (m) return text(m);
  }
  return check.detail;
}

export const checkLabel = (check: HubReadinessCheck): string => CHECK_LABELS[check.name] ?? check.name;

/** What to say when there are no findings. */
export function emptyReadinessText(role: string): string {
  return role === 'central_hub'
    ? 'Dieser Server ist der zentrale Hub; die Prüfung des Exports betrifft nur Standorte.'
    : 'Der Registerexport ist nicht eingerichtet: es sind keine Knoten eingetragen (lx-annotate nodes add).';
}
