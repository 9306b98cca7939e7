export { MediaToolError, MediaInputError, type MediaToolErrorCode, type MediaInputErrorCode } from './errors.js';
export { mediaToolsFromSettings, DEFAULT_IDLE_TIMEOUT_SECONDS, type MediaTools, type MediaToolSettings } from './tools.js';
export { runTool, stderrTail, type RunToolOptions, type ToolResult } from './run-tool.js';
export { FrameIndex, sampleFrameNumbers, type FrameIndexData, type TimeBase } from './frame-index.js';
export { probeVideo, frameTimestamps, assertProcessableVideo, MIN_PROCESSABLE_FRAMES, type VideoProbe } from './probe.js';
export { extractFrames, readGrayFrames, framePngName, FFMPEG_BASE_ARGS, type ExtractFramesOptions, type GrayFramesOptions } from './extract.js';
export { renderMaskedVideo, maskFilterChain, alignInward, alignOutward, STRIP_METADATA_ARGS, type MaskSpec, type PixelRect, type FrameRange, type RenderMaskedOptions } from './mask-render.js';
export { materializeHls, validateHlsDir, hlsFfmpegArgs, HLS_SEGMENT_SECONDS, HLS_PLAYLIST_NAME, HLS_CONTENT_KEY_BYTES, type MaterializeHlsOptions, type MaterializeHlsResult } from './hls.js';
export { siblingTempPath, commitTempFile, fsyncDirectory, removeQuietly } from './files.js';
