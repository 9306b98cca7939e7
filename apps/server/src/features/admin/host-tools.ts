import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReadinessCheck } from '@lx/contracts';
import type { Settings } from '../../config/index.js';

/** The OCR languages the anonymizer relies on (German reports, English UI text and devices). */
export const REQUIRED_TESSERACT_LANGUAGES = ['deu', 'eng'] as const;

const TOOL_TIMEOUT_MS = 15_000;

interface ToolRun {
  readonly ok: boolean;
  readonly stdout: string;
  readonly problem: string;
}

/** Runs a tool without a shell, in the process's own environment (its PATH is the services' PATH); never throws. */
function runTool(command: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ ok: true, stdout: `${stdout}\n${stderr}`, problem: '' });
      const code = (error as NodeJS.ErrnoException).code;
      const problem =
        code === 'ENOENT'
          ? 'not found'
          : code === 'EACCES'
            ? 'not executable'
            : error.killed
              ? `did not answer within ${TOOL_TIMEOUT_MS / 1000} s`
              : `exited ${String(code ?? error.message)}`;
      resolve({ ok: false, stdout: `${stdout}\n${stderr}`, problem });
    });
  });
}

/** ffprobe beside the configured ffmpeg: same directory, or a PATH lookup when ffmpeg is a bare name. */
export function ffprobeFor(ffmpeg: string): string {
  const name = basename(ffmpeg).includes('ffmpeg') ? basename(ffmpeg).replace('ffmpeg', 'ffprobe') : 'ffprobe';
  return ffmpeg.includes('/') ? join(dirname(ffmpeg), name) : name;
}

/**
 * ffmpeg, ffprobe and tesseract from the bootstrap script, run for real. All are critical: without
 * them videos cannot be made anonymous and OCR cannot find names in reports, so a web process that
 * accepted uploads would only queue patient data it can never release.
 */
export async function hostToolChecks(settings: Settings): Promise<ReadinessCheck[]> {
  const tessdata = settings.media.tessdataPrefix;
  const ffmpeg = settings.media.ffmpeg;
  const ffprobe = ffprobeFor(ffmpeg);
  const [ffmpegRun, ffprobeRun, tesseractRun, languagesRun] = await Promise.all([
    runTool(ffmpeg, ['-hide_banner', '-version']),
    runTool(ffprobe, ['-hide_banner', '-version']),
    runTool('tesseract', ['--version']),
    // --tessdata-dir is what the OCR adapter's TESSDATA_PREFIX amounts to, without touching the environment.
    runTool('tesseract', ['--tessdata-dir', tessdata, '--list-langs']),
  ]);
  const firstLine = (text: string): string => text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const checks: ReadinessCheck[] = [
    ffmpegRun.ok
      ? { name: 'ffmpeg', ok: true, severity: 'critical', detail: `${ffmpeg}: ${firstLine(ffmpegRun.stdout)}` }
      : { name: 'ffmpeg', ok: false, severity: 'critical', detail: `${ffmpeg} ${ffmpegRun.problem} (FFMPEG_EXECUTABLE; install the Debian package ffmpeg)` },
    ffprobeRun.ok
      ? { name: 'ffprobe', ok: true, severity: 'critical', detail: `${ffprobe}: ${firstLine(ffprobeRun.stdout)}` }
      : { name: 'ffprobe', ok: false, severity: 'critical', detail: `${ffprobe} ${ffprobeRun.problem} (expected beside ffmpeg; Debian package ffmpeg)` },
    tesseractRun.ok
      ? { name: 'tesseract', ok: true, severity: 'critical', detail: firstLine(tesseractRun.stdout) }
      : { name: 'tesseract', ok: false, severity: 'critical', detail: `tesseract ${tesseractRun.problem} (Debian package tesseract-ocr)` },
  ];
  checks.push(await tessdataCheck(tessdata, tesseractRun.ok, languagesRun));
  return checks;
}

async function tessdataCheck(prefix: string, tesseractOk: boolean, languages: ToolRun): Promise<ReadinessCheck> {
  const name = 'tessdata';
  const missingFiles: string[] = [];
  for (const lang of REQUIRED_TESSERACT_LANGUAGES) {
    try {
      await access(join(prefix, `${lang}.traineddata`), constants.R_OK);
    } catch {
      missingFiles.push(`${lang}.traineddata`);
    }
  }
  if (missingFiles.length > 0) {
    return { name, ok: false, severity: 'critical', detail: `TESSDATA_PREFIX=${prefix} lacks ${missingFiles.join(', ')} (Debian packages tesseract-ocr-deu, tesseract-ocr-eng)` };
  }
  if (!tesseractOk) return { name, ok: false, severity: 'critical', detail: `${prefix} has deu and eng, but tesseract itself is unusable` };
  // tesseract prints the languages one per line after a header naming the directory it used.
  const listed = new Set(languages.stdout.split('\n').map((l) => l.trim()));
  const unlisted = REQUIRED_TESSERACT_LANGUAGES.filter((lang) => !listed.has(lang));
  if (!languages.ok || unlisted.length > 0) {
    return { name, ok: false, severity: 'critical', detail: `tesseract with TESSDATA_PREFIX=${prefix} does not list ${unlisted.join(', ') || 'its languages'} (${languages.problem || 'check the path'})` };
  }
  return { name, ok: true, severity: 'critical', detail: `${prefix}: ${REQUIRED_TESSERACT_LANGUAGES.join(', ')}` };
}
