import { createHash } from 'node:crypto';
import { NodeRole } from '@lx/contracts';
import type { Db } from '../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { hashPassword, verifyPassword } from '../auth/index.js';
import { findNodeById, findNodeByKey, findSecretHash, insertNode, listNodes, nodeKeysLike, setNodeActive, updateNodeSecret, type NetworkNode } from './nodes.repository.js';

export const MIN_NODE_SECRET_LENGTH = 24;
const NODE_KEY = /^[a-z0-9][a-z0-9_-]{0,99}$/;

/** Why node authentication failed (the original's reasons). */
export type NodeAuthFailure = 'unknown_or_inactive_source_node' | 'node_key_mismatch' | 'missing_shared_secret_hash' | 'shared_secret_mismatch';

export function slugifyNodeKey(displayName: string): string {
  const slug = displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90);
  return slug === '' ? 'node' : slug;
}

/** A short, non-reversible fingerprint of a presented key for audit data (never the secret). */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

export interface AddNodeInput {
  readonly nodeKey?: string;
  readonly displayName: string;
  readonly role: string;
  readonly baseUrl: string;
  readonly centerKey?: string;
  readonly secret?: string;
}

/** Network node records: who may send to this hub, or this site's own node and its hub. */
export class NodesService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
  ) {}

  list(): Promise<NetworkNode[]> {
    return listNodes(this.db);
  }

  find(nodeKey: string): Promise<NetworkNode | undefined> {
    return findNodeByKey(this.db, nodeKey);
  }

  async add(actor: string, input: AddNodeInput): Promise<NetworkNode> {
    const role = NodeRole.safeParse(input.role);
    if (!role.success) throw new Invalid(`Unbekannte Rolle "${input.role}" (central_hub, site_node, standalone)`);
    const baseUrl = input.baseUrl.trim();
    if (baseUrl !== '' && !/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(baseUrl)) throw new Invalid('base_url muss eine https-Adresse sein');
    if (role.data === 'central_hub' && baseUrl === '') throw new Invalid('Ein central_hub braucht eine https-base_url');
    if (input.secret !== undefined) secretProblem(input.secret);
    const secretHash = input.secret === undefined ? null : await hashPassword(input.secret);
    const node = await this.db.transaction().execute(async (trx) => {
      let centerId: number | null = null;
      if (input.centerKey) {
        const center = await trx.selectFrom('centers').select('id').where('center_key', '=', input.centerKey).executeTakeFirst();
        if (!center) throw new NotFound(`Zentrum "${input.centerKey}" existiert nicht`);
        centerId = Number(center.id);
      }
      let nodeKey = input.nodeKey;
      if (nodeKey !== undefined) {
        if (!NODE_KEY.test(nodeKey)) throw new Invalid('node_key: Kleinbuchstaben, Ziffern, - und _ (max. 100)');
        if (await findNodeByKey(trx, nodeKey)) throw new Conflict(`node_key "${nodeKey}" existiert bereits`);
      } else {
        const base = slugifyNodeKey(input.displayName);
        const taken = new Set(await nodeKeysLike(trx, base));
        nodeKey = base;
        for (let n = 2; taken.has(nodeKey); n += 1) nodeKey = `${base}-${n}`;
      }
      const id = await insertNode(trx, { nodeKey, displayName: input.displayName, role: role.data, baseUrl, owningCenterId: centerId, secretHash });
      return (await findNodeById(trx, id)) as NetworkNode;
    });
    // After the commit: the ledger takes its own transaction (one connection on SQLite).
    await this.audit.append({ action: 'hub.node_added', objectType: 'network_node', objectPk: node.nodeKey, actor, centerId: node.owningCenterId, data: { role: node.role, has_secret: node.hasSecret } });
    return node;
  }

  async setSecret(actor: string, nodeKey: string, secret: string): Promise<void> {
    secretProblem(secret);
    const node = await findNodeByKey(this.db, nodeKey);
    if (!node) throw new NotFound(`Knoten "${nodeKey}" existiert nicht`);
    await updateNodeSecret(this.db, node.id, await hashPassword(secret));
    await this.audit.append({ action: 'hub.node_secret_set', objectType: 'network_node', objectPk: nodeKey, actor, centerId: node.owningCenterId });
  }

  async deactivate(actor: string, nodeKey: string): Promise<void> {
    const node = await findNodeByKey(this.db, nodeKey);
    if (!node) throw new NotFound(`Knoten "${nodeKey}" existiert nicht`);
    await setNodeActive(this.db, node.id, false);
    await this.audit.append({ action: 'hub.node_deactivated', objectType: 'network_node', objectPk: nodeKey, actor, centerId: node.owningCenterId });
  }

  /**
   * The original's node check: the expected node exists and is active, the presented key names it,
   * it has a stored secret (fail closed) and the presented secret matches the slow hash.
   */
  async authenticate(expected: NetworkNode | undefined, presentedKey: string, presentedSecret: string): Promise<NodeAuthFailure | undefined> {
    if (!expected || !expected.isActive) return 'unknown_or_inactive_source_node';
    if (presentedKey !== expected.nodeKey) return 'node_key_mismatch';
    const hash = await findSecretHash(this.db, expected.id);
    if (!hash) return 'missing_shared_secret_hash';
    return (await verifyPassword(presentedSecret, hash)) ? undefined : 'shared_secret_mismatch';
  }
}

function secretProblem(secret: string): void {
  if (secret.length < MIN_NODE_SECRET_LENGTH) throw new Invalid(`Das Knotengeheimnis muss mindestens ${MIN_NODE_SECRET_LENGTH} Zeichen lang sein`);
  if (secret.length > 1024) throw new Invalid('Das Knotengeheimnis ist zu lang');
}
