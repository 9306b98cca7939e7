export {
  DEFAULT_ENVELOPE_CHUNK,
  ENVELOPE_ALGORITHM,
  ENVELOPE_MAGIC,
  EnvelopeError,
  MAX_ENVELOPE_HEADER_BYTES,
  RecipientKeyring,
  loadRecipientKeyring,
  looksLikeEnvelope,
  openEnvelope,
  recipientKeyId,
  sealEnvelope,
} from './envelope.js';
export type { EnvelopeHeader, OpenedEnvelope, RecipientKey, SealParams, SealedEnvelope } from './envelope.js';
export { HubNetworkError, hubRequest, hubUrl, multipartUpload } from './https-client.js';
export type { HubCredentials, HubResponse, HubTransport } from './https-client.js';
