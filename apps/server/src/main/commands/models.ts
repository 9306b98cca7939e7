import { resolve } from 'node:path';
import { DomainError } from '../../shared/errors.js';
import { compose } from '../compose.js';
import { EXIT, type CliIo, type Command } from './command.js';
import { cliActor } from './users.js';

const triple = (value: unknown, name: string): [number, number, number] | undefined => {
  if (typeof value !== 'string') return undefined;
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)) || (name === 'std' && parts.some((p) => p <= 0))) throw new Error(`--${name} needs three numbers like 0.485,0.456,0.406`);
  return parts as [number, number, number];
};

const positiveInt = (value: unknown, name: string): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`--${name} must be a whole number from 1`);
  return n;
};

function inputSize(value: unknown): { inputWidth?: number; inputHeight?: number } {
  if (typeof value !== 'string') return {};
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error('--input-size must look like 716x716');
  return { inputWidth: Number(m[1]), inputHeight: Number(m[2]) };
}

async function register(file: string, values: Record<string, unknown>, io: CliIo): Promise<number> {
  const labelset = values.labelset;
  if (typeof labelset !== 'string' || labelset === '') {
    io.err('lx-annotate models register: --labelset <name> is required\n');
    return EXIT.usage;
  }
  const kind = values.kind ?? 'classifier';
  if (kind !== 'classifier' && kind !== 'phi_detector') {
    io.err('lx-annotate models register: --kind is classifier or phi_detector\n');
    return EXIT.usage;
  }
  const activation = values.activation ?? 'sigmoid';
  if (activation !== 'sigmoid' && activation !== 'none') {
    io.err('lx-annotate models register: --activation is sigmoid or none\n');
    return EXIT.usage;
  }
  const input = {
    onnxFile: resolve(file),
    name: typeof values.name === 'string' ? values.name : kind === 'phi_detector' ? 'phi_region_detector' : 'image_multilabel_classification_colonoscopy_default',
    kind: kind as 'classifier' | 'phi_detector',
    labelsetName: labelset,
    labelsetVersion: positiveInt(values['labelset-version'], 'labelset-version'),
    outputLabels: typeof values.labels === 'string' ? values.labels.split(',').map((l) => l.trim()).filter(Boolean) : undefined,
    ...inputSize(values['input-size']),
    mean: triple(values.mean, 'mean'),
    std: triple(values.std, 'std'),
    activation: activation as 'sigmoid' | 'none',
    batchSize: positiveInt(values['batch-size'], 'batch-size'),
    registeredBy: cliActor(),
  } as const;
  const runtime = compose(io.loadConfig(), { name: 'lx-annotate-models' });
  try {
    const model = await runtime.segments.models.register(input);
    io.out(`registered model meta ${model.id}: ${model.name} v${model.version}, label set ${model.labelset_name} v${model.labelset_version}, outputs ${model.output_labels.join(',')}, input ${model.input_width}x${model.input_height}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof DomainError) {
      io.err(`lx-annotate models register: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    await runtime.close();
  }
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'AI models (ModelMeta): register a local ONNX frame classifier or PHI-region detector, list registered models',
  usage: [
    'register <file.onnx> --labelset <name> [--labelset-version N] [--name N] [--labels a,b,…] [--input-size 716x716]',
    '       [--mean 0.485,0.456,0.406] [--std 0.229,0.224,0.225] [--activation sigmoid|none] [--batch-size 8]',
    '       [--kind classifier|phi_detector]   (phi_detector: heat map N×1×gh×gw, see docs/video-processing.md;',
    '        used for video anonymization when LX_ANNOTATE_PHI_DETECTOR_MODEL names it)',
    '       lx-annotate models list',
    '',
    'The file is checked on the CPU runtime and stored encrypted; weights are never downloaded.',
  ].join('\n'),
  allowPositionals: true,
  options: {
    labelset: { type: 'string' },
    'labelset-version': { type: 'string' },
    name: { type: 'string' },
    labels: { type: 'string' },
    'input-size': { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    activation: { type: 'string' },
    'batch-size': { type: 'string' },
    kind: { type: 'string' },
  },
  async run({ values, positionals }, io) {
    const [sub, file, ...extra] = positionals;
    if (sub === 'register' && file && extra.length === 0) {
      try {
        return await register(file, values, io);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('--')) {
          io.err(`lx-annotate models register: ${error.message}\n`);
          return EXIT.usage;
        }
        throw error;
      }
    }
    if (sub === 'list' && !file) {
      const runtime = compose(io.loadConfig(), { name: 'lx-annotate-models' });
      try {
        const { models } = await runtime.segments.models.list();
        for (const m of models) io.out(`${m.id}\t${m.name}\tv${m.version}\t${m.labelset_name} v${m.labelset_version}\t${m.is_active ? 'active' : 'inactive'}\t${m.weights_available ? 'weights ok' : 'weights missing'}\n`);
        if (models.length === 0) io.out('no models registered\n');
        return EXIT.ok;
      } finally {
        await runtime.close();
      }
    }
    io.err('lx-annotate models: use "register <file.onnx> --labelset <name>" or "list" (see lx-annotate models --help)\n');
    return EXIT.usage;
  },
};
