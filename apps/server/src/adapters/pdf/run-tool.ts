import { spawn } from 'node:child_process';
import { PdfError } from './errors.js';

export interface ToolRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface ToolOptions {
  readonly timeoutMs: number;
  /** Bytes written to the tool's standard input, then closed. */
  readonly stdin?: Uint8Array;
  /** Standard output beyond this is an error (the tool is killed). */
  readonly maxStdoutBytes?: number;
  /** Extra environment; the child never inherits the server's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The environment of every tool run: a fixed PATH and locale, nothing of the
 * server's own (no secrets can leak into a child or its crash output).
 */
const BASE_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C.UTF-8' };
const MAX_STDERR_CHARS = 4000;

/**
 * Runs one external tool with a hard timeout and bounded output. Resolves with
 * its exit code; rejects with `PdfError('timeout' | 'tool_failed')` when it could
 * not run to completion.
 */
export function runTool(command: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  const maxStdout = options.maxStdoutBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...BASE_ENV, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: PdfError | undefined;
    const fail = (error: PdfError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(new PdfError('timeout', `${command} did not finish within ${options.timeoutMs} ms`)), options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) fail(new PdfError('tool_failed', `${command} wrote more than ${maxStdout} bytes`));
      else chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR_CHARS) stderr += chunk.slice(0, MAX_STDERR_CHARS - stderr.length);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new PdfError('tool_failed', `${command} could not be started: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(chunks), stderr });
    });
    // A tool that exits before reading all input closes the pipe; that is its exit code's business.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
  });
}
