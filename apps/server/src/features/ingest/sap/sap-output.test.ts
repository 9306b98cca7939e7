import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Conflict } from '../../../shared/errors.js';
import { fileStamp, moveIntoWithoutOverwrite, publishPairs } from './sap-output.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'lx-sap-out-'));
const options = { fileMode: 0o640, nowMs: Date.now() };

describe('SAP drop pair publishing', () => {
  it('publishes complete pairs with the requested mode and leaves no staging behind', async () => {
    const out = dir();
    const published = await publishPairs(out, [{ stem: 'sap_ish_0001_labor_1_2', carrierText: 'Text\n', sidecarJson: '{}' }], options);
    assert.deepEqual(readdirSync(out).sort(), ['sap_ish_0001_labor_1_2.json', 'sap_ish_0001_labor_1_2.txt']);
    assert.equal(readFileSync(published[0]!.carrierPath, 'utf8'), 'Text\n');
    assert.equal(statSync(published[0]!.sidecarPath).mode & 0o777, 0o640);
  });

  it('refuses to replace an existing file and publishes nothing', async () => {
    const out = dir();
    writeFileSync(join(out, 'sap_ish_0002_b_1_2.txt'), 'earlier import');
    const pairs = [
      { stem: 'sap_ish_0001_a_1_2', carrierText: 'a\n', sidecarJson: '{}' },
      { stem: 'sap_ish_0002_b_1_2', carrierText: 'b\n', sidecarJson: '{}' },
    ];
    await assert.rejects(publishPairs(out, pairs, options), (e: Error) => e instanceof Conflict && e.message.endsWith(`${join(out, 'sap_ish_0002_b_…')}.txt`));
    assert.deepEqual(readdirSync(out), ['sap_ish_0002_b_1_2.txt']);
    assert.equal(readFileSync(join(out, 'sap_ish_0002_b_1_2.txt'), 'utf8'), 'earlier import');
  });

  it('withdraws what it already published when a name is taken during publishing', async () => {
    const out = dir();
    const pairs = [
      { stem: 'sap_ish_0001_a_1_2', carrierText: 'a\n', sidecarJson: '{"n":1}' },
      { stem: 'sap_ish_0002_b_1_2', carrierText: 'b\n', sidecarJson: '{"n":2}' },
    ];
    // Another writer takes the second carrier name after the pre-check.
    const concurrent = async (): Promise<void> => writeFileSync(join(out, 'sap_ish_0002_b_1_2.txt'), 'other writer');
    await assert.rejects(publishPairs(out, pairs, { ...options, afterStaging: concurrent }), Conflict);
    assert.deepEqual(readdirSync(out), ['sap_ish_0002_b_1_2.txt']);
    assert.equal(readFileSync(join(out, 'sap_ish_0002_b_1_2.txt'), 'utf8'), 'other writer');
  });

  it('removes staging directories a crashed run left behind, not fresh ones', async () => {
    const out = dir();
    const stale = join(out, '.sap_ish_staging-dead');
    const fresh = join(out, '.sap_ish_staging-live');
    mkdirSync(stale);
    mkdirSync(fresh);
    const old = new Date(Date.now() - 7 * 3600 * 1000);
    utimesSync(stale, old, old);
    await publishPairs(out, [], options);
    assert.deepEqual(readdirSync(out), ['.sap_ish_staging-live']);
  });
});

describe('moving a processed zip', () => {
  it('never overwrites: a taken name gets a UTC timestamp suffix, then a counter', async () => {
    const from = dir();
    const to = dir();
    writeFileSync(join(to, 'export.zip'), 'older');
    const stamp = fileStamp(new Date('2024-05-17T06:30:00.250Z'));
    assert.equal(stamp, '20240517T063000Z');
    for (const content of ['second', 'third']) {
      writeFileSync(join(from, 'export.zip'), content);
      await moveIntoWithoutOverwrite(join(from, 'export.zip'), to, stamp);
    }
    assert.deepEqual(readdirSync(from), []);
    assert.deepEqual(readdirSync(to).sort(), ['export-20240517T063000Z-2.zip', 'export-20240517T063000Z.zip', 'export.zip']);
    assert.equal(readFileSync(join(to, 'export.zip'), 'utf8'), 'older');
    assert.equal(readFileSync(join(to, 'export-20240517T063000Z-2.zip'), 'utf8'), 'third');
  });
});
