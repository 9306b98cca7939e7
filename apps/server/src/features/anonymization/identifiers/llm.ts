import { z } from 'zod';
import { parseGermanDate } from './german-dates.js';
import type { ExtractedIdentifiers, IdentifierField } from './types.js';

export interface LlmExtractorConfig {
  /** Base URL of an Ollama-compatible server, e.g. http://127.0.0.1:11434. */
  readonly endpoint: string;
  readonly model: string;
  readonly timeoutMs: number;
}

/** Ollama's non-streaming `/api/generate` answer; only `response` matters. */
const GenerateResponse = z.object({ response: z.string(), done: z.boolean().optional() });

const nullableText = z.string().trim().max(200).nullish();
/** The JSON the model is asked for; every field optional, unknown keys ignored. */
export const LlmIdentifiers = z.object({
  patient_first_name: nullableText,
  patient_last_name: nullableText,
  patient_dob: nullableText,
  patient_gender: nullableText,
  casenumber: nullableText,
  examination_date: nullableText,
  examiner_first_name: nullableText,
  examiner_last_name: nullableText,
  endoscope_type: nullableText,
  endoscope_sn: nullableText,
});

/** Report text beyond this is not sent; the header holds the identifiers. */
const MAX_PROMPT_TEXT_CHARS = 6000;
const LLM_CONFIDENCE = 0.5;

function prompt(text: string): string {
  return [
    'Du extrahierst Stammdaten aus einem deutschen Endoskopie-Befundbericht.',
    'Antworte ausschließlich mit einem JSON-Objekt mit den Schlüsseln',
    'patient_first_name, patient_last_name, patient_dob (TT.MM.JJJJ), patient_gender (male|female|divers),',
    'casenumber, examination_date (TT.MM.JJJJ), examiner_first_name, examiner_last_name, endoscope_type, endoscope_sn.',
    'Unbekannte Werte sind null. Erfinde nichts.',
    '',
    'Bericht:',
    text.slice(0, MAX_PROMPT_TEXT_CHARS),
  ].join('\n');
}

export class LlmExtractionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LlmExtractionError';
  }
}

/**
 * Asks a local Ollama-compatible model for the identifiers. The report text goes
 * only to the configured on-premises endpoint; the answer is validated with zod
 * and dates must parse, so a model's invention of shapes is dropped, not stored.
 */
export async function extractIdentifiersWithLlm(text: string, config: LlmExtractorConfig, fetchImpl: typeof fetch = fetch): Promise<ExtractedIdentifiers> {
  const url = new URL('api/generate', config.endpoint.endsWith('/') ? config.endpoint : `${config.endpoint}/`);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: config.model, prompt: prompt(text), format: 'json', stream: false, options: { temperature: 0 } }),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    throw new LlmExtractionError(`the LLM endpoint could not be reached (${(error as Error).name})`, { cause: error });
  }
  if (!response.ok) throw new LlmExtractionError(`the LLM endpoint answered HTTP ${response.status}`);
  const envelope = GenerateResponse.safeParse(await response.json().catch(() => undefined));
  if (!envelope.success) throw new LlmExtractionError('the LLM endpoint answered in an unexpected shape');
  let payload: unknown;
  try {
    payload = JSON.parse(envelope.data.response);
  } catch {
    throw new LlmExtractionError('the model did not answer with JSON');
  }
  const fields = LlmIdentifiers.safeParse(payload);
  if (!fields.success) throw new LlmExtractionError('the model answer does not have the expected fields');
  const out: ExtractedIdentifiers = {};
  for (const [key, raw] of Object.entries(fields.data) as [IdentifierField, string | null | undefined][]) {
    if (!raw) continue;
    let value: string | undefined = raw;
    if (key === 'patient_dob' || key === 'examination_date') value = parseGermanDate(raw);
    if (key === 'patient_gender') value = ['male', 'female', 'divers'].includes(raw.toLowerCase()) ? raw.toLowerCase() : undefined;
    if (value) out[key] = { value, confidence: LLM_CONFIDENCE, source: 'llm' };
  }
  return out;
}
