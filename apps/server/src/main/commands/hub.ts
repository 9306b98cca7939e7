import { compose } from '../compose.js';
import { EXIT, type Command } from './command.js';

export const hubCommand: Command = {
  name: 'hub',
  summary: 'Hub export sender: recover (reconcile stale transfers with the hub and queue them again)',
  usage: [
    'recover [--source-node-key K] [--stale-after SECONDS] [--run]',
    '',
    'Queued, failed (retryable) and in-flight transfers older than the stale threshold',
    '(LX_ANNOTATE_HUB_EXPORT_STALE_AFTER_SECONDS unless --stale-after is given, e.g. 0 right after a',
    'known crash) ask the hub for their state and are completed or put on the hub_transfer queue.',
    '--run also sends the queued transfers from this process (when no worker serves hub_transfer).',
  ].join('\n'),
  allowPositionals: true,
  options: { 'source-node-key': { type: 'string' }, 'stale-after': { type: 'string' }, run: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    if (positionals[0] !== 'recover' || positionals.length !== 1) {
      io.err('lx-annotate hub: the only subcommand is "recover"\n');
      return EXIT.usage;
    }
    const staleRaw = values['stale-after'];
    const staleAfterSeconds = typeof staleRaw === 'string' ? Number(staleRaw) : undefined;
    if (staleAfterSeconds !== undefined && (!Number.isInteger(staleAfterSeconds) || staleAfterSeconds < 0)) {
      io.err('lx-annotate hub recover: --stale-after must be a whole number of seconds\n');
      return EXIT.usage;
    }
    const runtime = compose(io.loadConfig(), { name: 'lx-annotate-hub' });
    try {
      const reevaluated = await runtime.hub.recovery.reevaluate();
      const recovered = await runtime.hub.recovery.recover({ staleAfterSeconds, sourceNodeKey: values['source-node-key'] as string | undefined });
      const ran = values.run === true ? await runtime.hub.recovery.runQueued() : undefined;
      const summary = { ...recovered, reevaluated };
      io.out(`${JSON.stringify(ran ? { ...summary, run: ran } : summary)}\n`);
      return EXIT.ok;
    } finally {
      await runtime.close();
    }
  },
};
