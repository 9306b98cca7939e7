import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brightnessModel } from '../../adapters/onnx/testdata/brightness-model.js';
import { phiGridModel } from '../../adapters/onnx/testdata/phi-grid-model.js';
import { ensureRuntimeDirectories } from '../../features/admin/index.js';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, tempDataRoot } from '../../../test/helpers/env.js';
import { runCli } from '../cli.js';

describe('lx-annotate models', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  const cli = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const status = await runCli(args, { out: (s) => (stdout += s), err: (s) => (stderr += s), loadConfig: () => configFrom(env) });
    return { status, stdout, stderr };
  };

  before(async () => {
    t = await createTestDatabase('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'lx-models-'));
    env = { DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), ...t.env, LX_ANNOTATE_MASTER_KEY: randomBytes(32).toString('base64url') };
    await ensureRuntimeDirectories(configFrom(env).settings);
    assert.equal((await cli(['load-base-data'])).status, 0);
  });
  after(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('register checks the ONNX file against the label set on the CPU runtime, then list shows it', async () => {
    const onnx = join(dir, 'm.onnx');
    await writeFile(onnx, brightnessModel([{ weight: -40, bias: 20 }, { weight: 40, bias: -20 }], { width: 8, height: 8 }));
    const args = ['models', 'register', onnx, '--labelset', 'multilabel_classification_colonoscopy_default', '--labelset-version', '1', '--input-size', '8x8', '--mean', '0,0,0', '--std', '1,1,1'];
    const mismatch = await cli(args);
    assert.equal(mismatch.status, 1, 'two outputs do not fit the 14 labels of the set');
    assert.match(mismatch.stderr, /erwartet \[1, 14\]/);
    const ok = await cli([...args, '--labels', 'outside,polyp', '--name', 'brightness']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /brightness v1, label set multilabel_classification_colonoscopy_default v1, outputs outside,polyp, input 8x8/);
    const list = await cli(['models', 'list']);
    assert.match(list.stdout, /brightness\tv1\tmultilabel_classification_colonoscopy_default v1\tactive\tweights ok/);
  });

  test('--kind phi_detector registers a heat-map model and refuses a classifier as detector', async () => {
    const detector = join(dir, 'phi.onnx');
    await writeFile(detector, phiGridModel({ width: 16, height: 8, cell: 4, gain: 20, level: 0.5 }));
    const base = ['--kind', 'phi_detector', '--labelset', 'multilabel_classification_colonoscopy_default', '--input-size', '16x8', '--mean', '0,0,0', '--std', '1,1,1'];
    const ok = await cli(['models', 'register', detector, ...base]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /phi_region_detector v1, .*outputs phi_region, input 16x8/);
    const classifier = join(dir, 'classifier-as-detector.onnx');
    await writeFile(classifier, brightnessModel([{ weight: 1, bias: 0 }], { width: 16, height: 8 }));
    const refused = await cli(['models', 'register', classifier, ...base]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /erwartet \[1, 1, Rasterhöhe, Rasterbreite\]/);
    assert.equal((await cli(['models', 'register', detector, ...base, '--labels', 'polyp'])).status, 1);
    assert.equal((await cli(['models', 'register', detector, '--kind', 'segmenter', '--labelset', 'x'])).status, 2);
  });

  test('a file that is not ONNX and a bad option are refused', async () => {
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'not a model');
    const r = await cli(['models', 'register', junk, '--labelset', 'multilabel_classification_colonoscopy_default']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /kein gültiges ONNX-Modell/);
    assert.equal((await cli(['models', 'register', junk, '--labelset', 'x', '--mean', '1,2'])).status, 2);
    assert.equal((await cli(['models', 'register', junk])).status, 2);
  });
});
