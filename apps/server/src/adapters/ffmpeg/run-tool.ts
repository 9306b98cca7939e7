import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { MediaToolError } from './errors.js';

export interface RunToolOptions {
  /** Short name used in errors: `ffmpeg`, `ffprobe`, `tesseract`. */
  readonly tool: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The complete child environment (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly totalTimeoutSeconds: number;
  /** Killed when stdout, stderr and the progress pipe all stay silent this long. */
  readonly idleTimeoutSeconds: number;
  /** Keep stdout in memory (refused beyond `maxStdoutBytes`); otherwise it is drained and dropped. */
  readonly captureStdout?: boolean;
  /**
   * Receives stdout as it arrives instead of capturing it. A returned promise pauses the pipe
   * until it settles (backpressure: the tool waits while the consumer works); a rejection stops
   * the tool and fails the run with that error.
   */
  readonly onStdout?: (chunk: Buffer) => void | Promise<void>;
  readonly maxStdoutBytes?: number;
  /**
   * Opens file descriptor 3 as a pipe that only feeds the idle watchdog; ffmpeg writes
   * `-progress pipe:3` there so stdout stays free for data and stderr for errors.
   */
  readonly progressFd?: boolean;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

export interface ToolResult {
  readonly stdout: Buffer;
  /** Tail of stderr (at most `STDERR_TAIL_CHARS`). */
  readonly stderr: string;
  readonly durationSeconds: number;
}

const STDERR_KEEP_CHARS = 16_384;
/** How much stderr goes into an error detail: enough to diagnose, short enough for a table cell. */
export const STDERR_TAIL_CHARS = 1_500;
const KILL_GRACE_MS = 2_000;
const CLOSE_FALLBACK_MS = 5_000;
const DEFAULT_MAX_STDOUT_BYTES = 512 * 1024 * 1024;

/** The last `max` characters of a tool's stderr, trimmed to whole lines where possible. */
export function stderrTail(stderr: string, max = STDERR_TAIL_CHARS): string {
  const text = stderr.replace(/\r/g, '\n').replace(/\n{2,}/g, '\n').trim();
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max);
  const newline = cut.indexOf('\n');
  return `…${newline >= 0 && newline < 200 ? cut.slice(newline + 1) : cut}`;
}

/**
 * Runs one external tool without a shell, in its own process group, with an idle-output and
 * a total watchdog. On timeout or abort the whole group (ffmpeg and anything it started) is
 * terminated, then killed, and the promise settles only after the process is gone, so the
 * caller can safely remove its temp files afterwards.
 */
export function runTool(options: RunToolOptions): Promise<ToolResult> {
  const started = process.hrtime.bigint();
  const maxStdout = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const stdio: StdioOptions = options.progressFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'];
  return new Promise<ToolResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(options.command, [...options.args], { stdio, env: { ...options.env }, cwd: options.cwd, detached: true, shell: false });
    } catch (error) {
      reject(new MediaToolError('spawn_failed', options.tool, `cannot start ${options.command}: ${(error as Error).message}`));
      return;
    }
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: MediaToolError | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let fallbackTimer: NodeJS.Timeout | undefined;

    const terminate = (error: MediaToolError) => {
      if (failure) return;
      failure = error;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        // A grandchild that left the group could hold our pipes open forever.
        fallbackTimer = setTimeout(() => finish(null), CLOSE_FALLBACK_MS);
      }, KILL_GRACE_MS);
    };

    const idleMs = Math.max(1, options.idleTimeoutSeconds * 1000);
    let idleTimer = setTimeout(onIdle, idleMs);
    function onIdle() {
      terminate(new MediaToolError('idle_timeout', options.tool, `no output for ${options.idleTimeoutSeconds} s; process stopped`, stderrTail(stderr)));
    }
    const activity = () => {
      clearTimeout(idleTimer);
      if (!failure) idleTimer = setTimeout(onIdle, idleMs);
    };
    const totalTimer = setTimeout(() => {
      terminate(new MediaToolError('timeout', options.tool, `exceeded the total time limit of ${options.totalTimeoutSeconds} s; process stopped`, stderrTail(stderr)));
    }, Math.max(1, options.totalTimeoutSeconds * 1000));
    const onAbort = () => terminate(new MediaToolError('aborted', options.tool, 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    child.stdout?.on('data', (chunk: Buffer) => {
      activity();
      if (options.onStdout) {
        const pending = options.onStdout(chunk);
        if (pending) {
          child.stdout?.pause();
          pending.then(
            () => {
              activity();
              child.stdout?.resume();
            },
            (error: unknown) => terminate(error instanceof MediaToolError ? error : new MediaToolError('bad_output', options.tool, (error as Error).message)),
          );
        }
        return;
      }
      if (!options.captureStdout) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        terminate(new MediaToolError('bad_output', options.tool, `output larger than ${maxStdout} bytes`));
        return;
      }
      stdoutChunks.push(chunk);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      activity();
      stderr += chunk;
      if (stderr.length > STDERR_KEEP_CHARS * 2) stderr = stderr.slice(stderr.length - STDERR_KEEP_CHARS);
    });
    const progress = child.stdio[3];
    if (progress && 'on' in progress) {
      progress.on('data', activity);
      progress.on('error', () => undefined);
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        failure ??= new MediaToolError('spawn_failed', options.tool, `cannot start ${options.command}: ${error.code ?? error.message}`);
        finish(null);
      }
    });
    child.on('close', (code, signal) => finish(code, signal));

    function finish(code: number | null, signal?: NodeJS.Signals | null) {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(totalTimer);
      clearTimeout(killTimer);
      clearTimeout(fallbackTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) {
        // Members that ignored SIGTERM must not outlive a stopped run.
        signalGroup(child.pid, 'SIGKILL');
        reject(failure);
        return;
      }
      if (code !== 0) {
        const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
        reject(new MediaToolError('exit_code', options.tool, how, stderrTail(stderr)));
        return;
      }
      resolve({
        stdout: Buffer.concat(stdoutChunks),
        stderr: stderrTail(stderr, STDERR_KEEP_CHARS),
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    }
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
