import { resolve } from 'node:path';
import { mediaToolsFromSettings } from '../../adapters/ffmpeg/index.js';
import { DEMO_VARIANTS, makeDemoSet, type DemoVariant } from '../../demo/demo-video.js';
import { addDemoReport } from '../../demo/demo-report-pdf.js';
import { EXIT, type Command } from './command.js';

const VARIANTS = Object.keys(DEMO_VARIANTS) as DemoVariant[];

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Write synthetic endoscopy demo videos with a fictitious patient overlay (demo make <dir>)',
  usage: `make <dir> [--only ${VARIANTS.join('|')}]`,
  options: { only: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }, io) {
    const [action, dir, ...extra] = positionals;
    if (action !== 'make' || dir === undefined || extra.length > 0) {
      io.err(`lx-annotate demo: usage: lx-annotate demo make <dir> [--only ${VARIANTS.join('|')}]\n`);
      return EXIT.usage;
    }
    const only = values.only;
    if (only !== undefined && !VARIANTS.includes(only as DemoVariant)) {
      io.err(`lx-annotate demo: --only must be one of ${VARIANTS.join(', ')}\n`);
      return EXIT.usage;
    }
    const { settings } = io.loadConfig();
    const tools = mediaToolsFromSettings(settings.media, { searchPath: process.env.PATH ?? '/usr/bin:/bin' });
    const target = resolve(dir);
    const variants = only === undefined ? VARIANTS : [only as DemoVariant];
    const { manifestPath, videos } = await makeDemoSet(tools, target, variants);
    for (const path of Object.values(videos)) io.out(`${path}\n`);
    await addDemoReport(target, manifestPath);
    io.out(`${manifestPath}\n`);
    return EXIT.ok;
  },
};
