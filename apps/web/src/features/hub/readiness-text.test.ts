import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import HubReadinessPanel from './HubReadinessPanel.vue';
import { checkDetail, checkLabel, emptyReadinessText } from './readiness-text';

const check = (name: string, detail: string, ok = false) => ({ name, ok, severity: 'warning' as const, detail });

describe('hub readiness texts', () => {
  it('translates the findings of lx-annotate check into German', () => {
    expect(checkDetail(check('hub_source_node', 'expected exactly one active site_node, found 0'))).toBe('Es muss genau ein aktiver Quellknoten eingetragen sein (gefunden: 0).');
    expect(checkDetail(check('hub_target_node', 'expected exactly one active central_hub, found 2'))).toBe('Es muss genau ein aktiver Hub eingetragen sein (gefunden: 2).');
    expect(checkDetail(check('hub_target_node', 'base_url is not https'))).toBe('Die Adresse des Hubs verwendet kein https.');
    expect(checkDetail(check('hub_export_certificates', 'missing or unreadable: LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE, LX_ANNOTATE_HUB_EXPORT_CA_FILE'))).toBe(
      'Fehlt oder nicht lesbar: LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE, LX_ANNOTATE_HUB_EXPORT_CA_FILE',
    );
    expect(checkDetail(check('hub_export_certificates', 'readable', true))).toBe('lesbar');
    expect(checkDetail(check('hub_recipient_keys', '2 key file(s) readable', true))).toBe('2 Schlüsseldatei(en) lesbar');
  });

  it('keeps node keys and unknown details, and labels every known check in German', () => {
    expect(checkDetail(check('hub_source_node', 'klinik-a-site', true))).toBe('klinik-a-site');
    expect(checkLabel(check('hub_source_node', ''))).toBe('Quellknoten dieses Standorts');
    expect(checkLabel(check('hub_export_certificates', ''))).toMatch(/Zertifikatsdateien lesbar/);
    expect(checkLabel(check('something_new', ''))).toBe('something_new');
    expect(emptyReadinessText('site_node')).toMatch(/nicht eingerichtet/);
    expect(emptyReadinessText('central_hub')).toMatch(/zentrale Hub/);
  });
});

describe('HubReadinessPanel', () => {
  it('shows each finding with a German label, state and detail, and asks again on demand', async () => {
    const checks = [check('hub_source_node', 'klinik-a-site', true), check('hub_target_node', 'base_url is not https'), check('hub_export_certificates', 'readable', true)];
    const w = mount(HubReadinessPanel, { props: { role: 'site_node', checks, error: null } });
    const rows = w.findAll('tr').map((r) => r.text());
    expect(rows).toEqual(['in OrdnungQuellknoten dieses Standortsklinik-a-site', 'ProblemGenau ein aktiver Hub (https)Die Adresse des Hubs verwendet kein https.', 'in OrdnungZertifikatsdateien lesbar (Client-Zertifikat, Schlüssel, CA)lesbar']);
    await w.get('button').trigger('click');
    expect(w.emitted('recheck')).toHaveLength(1);
    const empty = mount(HubReadinessPanel, { props: { role: 'site_node', checks: [], error: null } });
    expect(empty.text()).toContain('nicht eingerichtet');
  });
});
