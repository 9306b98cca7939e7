/**
 * Polling with backoff: fast while something changes, slower when nothing does or the server
 * says 429, capped. Stops when the owner calls `stop()` (pages stop on unmount).
 */
export interface Poller {
  stop(): void;
  /** Poll now and restart at the fastest interval (after a user action). */
  kick(): void;
}

export interface PollOptions {
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
}

/** `tick` returns true when the state changed (back to fast polling), false otherwise. */
export function startPolling(tick: () => Promise<boolean>, options: PollOptions = {}): Poller {
  const min = options.minMs ?? 2000;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 1.6;
  let delay = min;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(run, delay);
  };
  const run = async (): Promise<void> => {
    try {
      delay = (await tick()) ? min : Math.min(max, delay * factor);
    } catch (error) {
      const status = (error as { status?: number }).status;
      delay = Math.min(max, delay * (status === 429 ? 3 : factor));
    }
    schedule();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    kick() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      delay = min;
      void run();
    },
  };
}

/** The next delay for a sequence of unchanged polls (exported for tests and the sidebar). */
export const nextDelay = (current: number, changed: boolean, options: PollOptions = {}): number =>
  changed ? (options.minMs ?? 2000) : Math.min(options.maxMs ?? 30_000, current * (options.factor ?? 1.6));
