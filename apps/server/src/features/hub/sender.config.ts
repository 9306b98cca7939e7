import { readFile } from 'node:fs/promises';
import type { HubTransport } from '../../adapters/hub-client/index.js';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { findNodeById, listActiveNodesByRole, type NetworkNode } from './nodes.repository.js';

/** A sender configuration problem: retrying cannot help until an operator fixes it. German: shown in the web app's registry export. */
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
  if (nodes.length !== 1) throw new SenderConfigError(`Es muss genau ein aktiver Quellknoten (site_node) eingetragen sein, gefunden: ${nodes.length}`);
  return nodes[0] as NetworkNode;
}

/** Client certificate and key (both or neither; required with mTLS) and the optional CA, read now. */
export async function transportOf(settings: Settings['hubExport']): Promise<HubTransport> {
  const { clientCertFile, clientKeyFile, caFile, requireMtls } = settings;
  if ((clientCertFile === undefined) !== (clientKeyFile === undefined)) throw new SenderConfigError('LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE und _CLIENT_KEY_FILE müssen gemeinsam gesetzt sein');
  if (requireMtls && clientCertFile === undefined) throw new SenderConfigError('LX_ANNOTATE_HUB_EXPORT_REQUIRE_MTLS ist aktiv, aber kein Client-Zertifikat konfiguriert');
  const read = async (file: string, variable: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new SenderConfigError(`${variable} ist nicht lesbar: ${(error as NodeJS.ErrnoException).code ?? 'Fehler'}`);
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
  if (!targetNode || !targetNode.isActive || targetNode.role !== 'central_hub') throw new SenderConfigError('Der Ziel-Hub fehlt, ist inaktiv oder kein central_hub');
  if (!targetNode.baseUrl.startsWith('https://')) throw new SenderConfigError('Die base_url des Hubs muss https verwenden');
  const secret = settings.sourceNodeSecret(sourceNode.nodeKey);
  if (!secret) throw new SenderConfigError('Kein Knotengeheimnis: LX_ANNOTATE_HUB_SOURCE_NODE_SECRET (oder _<NODEKEY>, oder die _FILE-Varianten) setzen');
  return { sourceNode, targetNode, secret: secret.reveal(), transport: await transportOf(settings) };
}
