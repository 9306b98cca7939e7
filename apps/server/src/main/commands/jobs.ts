import { schemaStatus } from '../../db/index.js';
import { enqueuePeriodicJobs, JOB_STATES, rolesForQueueNames, toJobSummary, UnknownQueueError, QUEUE_ROLES, type JobState, type QueueRole } from '../../jobs/index.js';
import { createLogger } from '../../log/logger.js';
import { compose, type Runtime } from '../compose.js';
import { EXIT, type CliIo, type Command } from './command.js';

const STOP_GRACE_MS = 30_000;

function parseWhole(value: string | undefined, option: string, min: number, max: number, fallback: number, io: CliIo, command: string): number | undefined {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    io.err(`lx-annotate ${command}: --${option} takes a whole number from ${min} to ${max}\n`);
    return undefined;
  }
  return n;
}

async function schemaReady(runtime: Runtime, io: CliIo, command: string): Promise<boolean> {
  const status = await schemaStatus(runtime.db).catch((error: unknown) => {
    io.err(`lx-annotate ${command}: database unreachable: ${(error as Error).message}\n`);
    return undefined;
  });
  if (!status) return false;
  if (status.pending.length > 0 || status.unknown.length > 0) {
    io.err(
      status.pending.length > 0
        ? `lx-annotate ${command}: schema is behind (pending ${status.pending.join(', ')}); run lx-annotate migrate\n`
        : `lx-annotate ${command}: schema is newer than this release (${status.unknown.join(', ')})\n`,
    );
    return false;
  }
  return true;
}

/** Resolves on the first SIGTERM or SIGINT. */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run job handlers of the named queues until SIGTERM (the worker role; never serves HTTP)',
  usage: '[--queues a,b] [--concurrency N]   (default: every configured queue, 1 job at a time per queue)',
  options: { queues: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' } },
  async run({ values }, io) {
    const config = io.loadConfig();
    const { settings } = config;
    const requested = ((values.queues ?? values.queue) as string | undefined)?.split(',').map((q) => q.trim()).filter((q) => q !== '');
    let roles: QueueRole[];
    try {
      roles = requested && requested.length > 0 ? rolesForQueueNames(settings.queues, requested) : [...QUEUE_ROLES];
    } catch (error) {
      if (!(error instanceof UnknownQueueError)) throw error;
      io.err(`lx-annotate worker: ${error.message}\n`);
      return EXIT.usage;
    }
    const concurrency = parseWhole(values.concurrency as string | undefined, 'concurrency', 1, 64, 1, io, 'worker');
    if (concurrency === undefined) return EXIT.usage;

    const logger = createLogger({ level: settings.jobs.workerLogLevel, name: 'lx-annotate-worker' });
    const runtime = compose(config, { logger });
    try {
      if (!(await schemaReady(runtime, io, 'worker'))) return EXIT.failed;
      const definitions = runtime.jobs.forQueues(roles);
      const stopSignal = nextStopSignal();
      const worker = await runtime.jobQueue.work(roles, definitions, { concurrency });
      logger.info({ queues: worker.queues, concurrency, jobs: definitions.map((d) => d.name), engine: settings.database.engine, backend: runtime.jobQueue.backend }, 'lx-annotate worker started');

      const schedule = async (): Promise<void> => {
        try {
          await enqueuePeriodicJobs(runtime.jobQueue, definitions);
        } catch (error) {
          logger.warn({ error: (error as Error).message }, 'scheduling periodic jobs failed; next try at the next period');
        }
      };
      await schedule();
      const periods = [...new Set(definitions.flatMap((d) => (d.everySeconds === undefined ? [] : [d.everySeconds])))];
      const timers = periods.map((seconds) => setInterval(() => void schedule(), seconds * 1000));

      const signal = await stopSignal;
      for (const t of timers) clearInterval(t);
      logger.info({ signal, graceMs: STOP_GRACE_MS }, 'stopping: finishing in-flight jobs');
      const result = await worker.stop({ graceMs: STOP_GRACE_MS });
      logger.info(result, 'lx-annotate worker stopped');
      return EXIT.ok;
    } finally {
      await runtime.close();
    }
  },
};

function cell(value: string, width: number): string {
  return value.length > width ? `${value.slice(0, width - 1)}…` : value.padEnd(width);
}

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'Show jobs of the queues: jobs list [--queue q] [--state s] [--limit n] [--json]',
  usage: `list [--queue q] [--state ${JOB_STATES.join('|')}] [--limit n] [--json]`,
  options: { queue: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length !== 1 || positionals[0] !== 'list') {
      io.err(`lx-annotate jobs: expected the subcommand "list", got ${positionals.length === 0 ? 'none' : `"${positionals.join(' ')}"`}\n`);
      return EXIT.usage;
    }
    const state = values.state as string | undefined;
    if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) {
      io.err(`lx-annotate jobs: --state takes one of ${JOB_STATES.join(', ')}\n`);
      return EXIT.usage;
    }
    const limit = parseWhole(values.limit as string | undefined, 'limit', 1, 1000, 50, io, 'jobs');
    if (limit === undefined) return EXIT.usage;
    const config = io.loadConfig();
    const queue = values.queue as string | undefined;
    if (queue !== undefined) {
      try {
        rolesForQueueNames(config.settings.queues, [queue]);
      } catch (error) {
        if (!(error instanceof UnknownQueueError)) throw error;
        io.err(`lx-annotate jobs: ${error.message}\n`);
        return EXIT.usage;
      }
    }
    const runtime = compose(config, { logger: createLogger({ level: 'warn', name: 'lx-annotate-jobs' }) });
    try {
      if (!(await schemaReady(runtime, io, 'jobs'))) return EXIT.failed;
      const jobs = (await runtime.jobQueue.list({ limit, ...(queue ? { queue } : {}), ...(state ? { state: state as JobState } : {}) })).map(toJobSummary);
      if (values.json) {
        io.out(`${JSON.stringify(jobs, null, 2)}\n`);
        return EXIT.ok;
      }
      if (jobs.length === 0) {
        io.out('no jobs\n');
        return EXIT.ok;
      }
      io.out(`${['ID'.padEnd(36), cell('QUEUE', 16), cell('NAME', 28), cell('STATE', 9), 'TRIES', cell('CREATED (UTC)', 24), 'LAST ERROR'].join('  ')}\n`);
      for (const j of jobs) {
        const tries = `${j.attempts}/${j.max_attempts}`.padEnd(5);
        io.out(`${[j.id.padEnd(36), cell(j.queue, 16), cell(j.name, 28), cell(j.state, 9), tries, cell(j.created_at, 24), j.last_error ?? ''].join('  ').trimEnd()}\n`);
      }
      return EXIT.ok;
    } finally {
      await runtime.close();
    }
  },
};
