import { extractIdentifiersWithLlm, type LlmExtractorConfig } from './llm.js';
import { extractIdentifiersByRules } from './rules.js';
import type { ExtractedIdentifiers } from './types.js';

export interface ExtractionOutcome {
  readonly fields: ExtractedIdentifiers;
  readonly method: 'rules' | 'llm' | 'none';
  /** Reasons without content, e.g. an unreachable LLM endpoint. */
  readonly warnings: readonly string[];
}

/**
 * Rules first; the LLM only when the rules found nothing at all and an endpoint
 * is configured. An LLM failure never fails the import: it is a warning and the
 * human validation fills the fields.
 */
export async function extractIdentifiers(text: string, options: { llm?: LlmExtractorConfig; fetchImpl?: typeof fetch } = {}): Promise<ExtractionOutcome> {
  const fields = extractIdentifiersByRules(text);
  if (Object.keys(fields).length > 0) return { fields, method: 'rules', warnings: [] };
  if (!options.llm || text.trim() === '') return { fields, method: 'none', warnings: [] };
  try {
    const llmFields = await extractIdentifiersWithLlm(text, options.llm, options.fetchImpl);
    return { fields: llmFields, method: Object.keys(llmFields).length > 0 ? 'llm' : 'none', warnings: [] };
  } catch (error) {
    return { fields: {}, method: 'none', warnings: [`llm_extraction_failed: ${(error as Error).message}`] };
  }
}
