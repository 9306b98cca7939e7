import { readFile } from 'node:fs/promises';
import type { HubTransport } from '../../adapters/hub-client/index.js';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { findNodeById, listActiveNodesByRole, type NetworkNode } from './nodes.repository.js';

/** A sender configuration problem: retrying cannot help until an operator fixes it. */
export class SenderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SenderConfigError';
  }
}

export interface SenderConfig {
  readonly sourceNode: NetworkNode;
  readonly targetNode: NetworkNode;
  readonly secret: string;
  readonly transport: HubTransport;
}

/** This site's own node: exactly one active `site_node` record. */
export async function sourceNodeOf(db: Db): Promise<NetworkNode> {
  const nodes = await listActiveNodesByRole(db, 'site_node');
  if (nodes.length !== 1) throw new SenderConfigError(`expected exactly one active site_node record, found ${nodes.length}`);
  return nodes[0] as NetworkNode;
}

/** Client certificate and key (both or neither; required with mTLS) and the optional CA, read now. */
export async function transportOf(settings: Settings['hubExport']): Promise<HubTransport> {
  const { clientCertFile, clientKeyFile, caFile, requireMtls } = settings;
  if ((clientCertFile === undefined) !== (clientKeyFile === undefined)) throw new SenderConfigError('LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE and _CLIENT_KEY_FILE must be set together');
  if (requireMtls && clientCertFile === undefined) throw new SenderConfigError('LX_ANNOTATE_HUB_EXPORT_REQUIRE_MTLS is on but no client certificate is configured');
  const read = async (file: string, variable: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new SenderConfigError(`${variable} is not readable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  return {
    ...(clientCertFile && clientKeyFile ? { cert: await read(clientCertFile, 'LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE'), key: await read(clientKeyFile, 'LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE') } : {}),
    ...(caFile ? { ca: await read(caFile, 'LX_ANNOTATE_HUB_EXPORT_CA_FILE') } : {}),
  };
}

export async function senderConfig(db: Db, settings: Settings['hubExport'], targetNodeId: number): Promise<SenderConfig> {
  const sourceNode = await sourceNodeOf(db);
  const targetNode = await findNodeById(db, targetNodeId);
  if (!targetNode || !targetNode.isActive || targetNode.role !== 'central_hub') throw new SenderConfigError('the target hub node is missing, inactive or not a central_hub');
  if (!targetNode.baseUrl.startsWith('https://')) throw new SenderConfigError('the hub base_url must use https');
  const secret = settings.sourceNodeSecret(sourceNode.nodeKey);
  if (!secret) throw new SenderConfigError('no node secret: set LX_ANNOTATE_HUB_SOURCE_NODE_SECRET (or _<NODEKEY>, or their _FILE variants)');
  return { sourceNode, targetNode, secret: secret.reveal(), transport: await transportOf(settings) };
}
