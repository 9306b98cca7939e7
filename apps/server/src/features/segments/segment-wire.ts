import type { Segment } from '@lx/contracts';
import type { FrameIndex } from '../../adapters/ffmpeg/index.js';
import { endSeconds, startSeconds } from './segment-frames.js';
import type { SegmentRecord } from './segments.repository.js';

/** Seconds are rounded to microseconds: enough to identify a frame, short on the wire. */
const round = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;

/** The §5.7 shape of a stored segment, times from the video's frame index. */
export function segmentToWire(s: SegmentRecord, index: FrameIndex): Segment {
  return {
    id: s.id,
    video_id: s.video_file_id,
    label_id: s.label_id,
    label_name: s.label_name,
    start_frame_number: s.start_frame_number,
    end_frame_number: s.end_frame_number,
    start_time: round(startSeconds(index, Math.min(s.start_frame_number, index.frameCount - 1))),
    end_time: round(endSeconds(index, s.end_frame_number)),
    export_segment: s.export_segment,
    segment_origin: s.segment_origin,
    prediction_meta_id: s.prediction_meta_id,
    source_name: s.source_name,
    annotator: s.annotator,
    is_validated: s.is_validated,
    validated_by: s.validated_by,
    validated_at: s.validated_at,
    notes: s.notes,
    version: s.version,
    updated_at: s.updated_at,
  };
}
