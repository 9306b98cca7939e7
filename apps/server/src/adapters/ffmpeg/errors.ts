/** Why an external media tool run failed (the tool itself, not the input). */
export type MediaToolErrorCode = 'spawn_failed' | 'exit_code' | 'timeout' | 'idle_timeout' | 'aborted' | 'bad_output';

/**
 * A failed ffmpeg/ffprobe/tesseract run. `detail` is the truncated tail of the tool's stderr,
 * meant for the processing history's error detail; it never contains key material because
 * keys only ever travel through files, never through arguments.
 */
export class MediaToolError extends Error {
  override readonly name = 'MediaToolError';

  constructor(
    readonly code: MediaToolErrorCode,
    readonly tool: string,
    message: string,
    readonly detail = '',
  ) {
    super(detail ? `${tool}: ${message}: ${detail}` : `${tool}: ${message}`);
  }
}

/** What is wrong with a media file given to us (the tools worked; the input is unusable). */
export type MediaInputErrorCode = 'not_found' | 'empty' | 'unreadable' | 'truncated' | 'no_video' | 'too_short' | 'timestamps' | 'frame_range';

/**
 * An unusable input video. The message is German because it ends up in the error detail a
 * clinician reads in the processing history; `code` is for programs.
 */
export class MediaInputError extends Error {
  override readonly name = 'MediaInputError';

  constructor(
    readonly code: MediaInputErrorCode,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}
