import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * How to run the media tools. Child processes get exactly `baseEnv` (plus per-tool
 * additions), never the server's environment: that holds database passwords and keys.
 */
export interface MediaTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  readonly tesseract: string;
  /** Upper bound for one tool run (`FFMPEG_TRANSCODE_TIMEOUT_SECONDS`). */
  readonly totalTimeoutSeconds: number;
  /** A run that prints nothing (no progress, no output) for this long is killed. */
  readonly idleTimeoutSeconds: number;
  readonly tessdataPrefix: string;
  readonly baseEnv: Readonly<Record<string, string>>;
}

/** The media part of the settings, as far as the tools need it. */
export interface MediaToolSettings {
  readonly ffmpeg: string;
  readonly transcodeTimeoutSeconds: number;
  readonly tessdataPrefix: string;
}

/** §6.2: ffmpeg output idle watchdog. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 300;

/**
 * Builds the tool set from settings. `searchPath` is the PATH the composition root hands
 * down (adapters do not read the environment). ffprobe is taken from beside a configured
 * ffmpeg path when it exists there, so a custom ffmpeg build brings its own ffprobe.
 */
export function mediaToolsFromSettings(
  media: MediaToolSettings,
  options: { searchPath: string; idleTimeoutSeconds?: number },
): MediaTools {
  const sibling = media.ffmpeg.includes('/') ? join(dirname(media.ffmpeg), 'ffprobe') : undefined;
  return {
    ffmpeg: media.ffmpeg,
    ffprobe: sibling !== undefined && existsSync(sibling) ? sibling : 'ffprobe',
    tesseract: 'tesseract',
    totalTimeoutSeconds: media.transcodeTimeoutSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
    tessdataPrefix: media.tessdataPrefix,
    baseEnv: { PATH: options.searchPath, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
  };
}
