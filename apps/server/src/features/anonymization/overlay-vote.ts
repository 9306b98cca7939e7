import type { OverlayField } from '../knowledge-base/index.js';
import { overlayVoteKey } from './overlay-fields.js';

/** One parsed reading of one overlay field in one sampled frame. */
export interface FieldReading {
  readonly field: OverlayField;
  readonly frame: number;
  /** Parsed value, undefined when the crop did not read as this field. */
  readonly value: string | undefined;
  /** OCR confidence of the crop, 0..1. */
  readonly ocrConfidence: number;
}

/** The value a field most likely has, with how sure we are. */
export interface FieldCandidate {
  readonly value: string;
  /** (agreeing frames / sampled frames) × mean OCR confidence of the agreeing frames, 0..1. */
  readonly confidence: number;
  readonly agreeingFrames: number;
  readonly sampledFrames: number;
  readonly meanOcrConfidence: number;
}

export type OverlayCandidates = Partial<Record<OverlayField, FieldCandidate>>;

/**
 * Majority vote per field over the sampled frames. A value seen in few frames (a one-off
 * misread) gets a low confidence instead of winning silently; ties go to the better-read
 * value. Within the winning group the most frequent spelling is reported.
 */
export function voteOverlayFields(readings: readonly FieldReading[], sampledFrames: number): OverlayCandidates {
  const byField = new Map<OverlayField, Map<string, FieldReading[]>>();
  for (const reading of readings) {
    if (reading.value === undefined) continue;
    const groups = byField.get(reading.field) ?? new Map<string, FieldReading[]>();
    const key = overlayVoteKey(reading.field, reading.value);
    groups.set(key, [...(groups.get(key) ?? []), reading]);
    byField.set(reading.field, groups);
  }
  const result: OverlayCandidates = {};
  for (const [field, groups] of byField) {
    let best: { group: FieldReading[]; mean: number } | undefined;
    for (const group of groups.values()) {
      const frames = new Set(group.map((r) => r.frame)).size;
      const mean = group.reduce((s, r) => s + r.ocrConfidence, 0) / group.length;
      const bestFrames = best ? new Set(best.group.map((r) => r.frame)).size : -1;
      if (!best || frames > bestFrames || (frames === bestFrames && mean > best.mean)) best = { group, mean };
    }
    if (!best) continue;
    const agreeing = new Set(best.group.map((r) => r.frame)).size;
    const denominator = Math.max(sampledFrames, agreeing);
    result[field] = {
      value: mostFrequentSpelling(best.group),
      confidence: round((agreeing / denominator) * best.mean),
      agreeingFrames: agreeing,
      sampledFrames: denominator,
      meanOcrConfidence: round(best.mean),
    };
  }
  return result;
}

function mostFrequentSpelling(group: readonly FieldReading[]): string {
  const counts = new Map<string, { n: number; conf: number }>();
  for (const r of group) {
    const c = counts.get(r.value!) ?? { n: 0, conf: 0 };
    counts.set(r.value!, { n: c.n + 1, conf: Math.max(c.conf, r.ocrConfidence) });
  }
  return [...counts.entries()].sort((a, b) => b[1].n - a[1].n || b[1].conf - a[1].conf)[0]![0];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Below this a voted value is not proposed at all (a one-frame misread must not prefill the form). */
export const MIN_PROPOSED_CONFIDENCE = 0.2;

/**
 * The overlay result in `sensitive_meta` terms: column → value for the fields worth proposing,
 * and `field_confidence` for each of them. Overlay field names are the column names.
 */
export function sensitiveMetaProposal(candidates: OverlayCandidates, minConfidence = MIN_PROPOSED_CONFIDENCE): {
  values: Partial<Record<OverlayField, string>>;
  fieldConfidence: Partial<Record<OverlayField, number>>;
} {
  const values: Partial<Record<OverlayField, string>> = {};
  const fieldConfidence: Partial<Record<OverlayField, number>> = {};
  for (const [field, candidate] of Object.entries(candidates) as [OverlayField, FieldCandidate][]) {
    if (candidate.confidence < minConfidence) continue;
    values[field] = candidate.value;
    fieldConfidence[field] = candidate.confidence;
  }
  return { values, fieldConfidence };
}
