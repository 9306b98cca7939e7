import type { Kysely, Transaction } from 'kysely';
import { dbBool, dbInt, nowIso, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A network node as the hub feature sees it; `hasSecret` only, never the hash itself outside this file. */
export interface NetworkNode {
  readonly id: number;
  readonly nodeKey: string;
  readonly displayName: string;
  readonly role: 'central_hub' | 'site_node' | 'standalone';
  readonly baseUrl: string;
  readonly isActive: boolean;
  readonly hasSecret: boolean;
  readonly owningCenterId: number | null;
  readonly owningCenterKey: string | null;
}

const columns = [
  'network_nodes.id',
  'network_nodes.node_key',
  'network_nodes.display_name',
  'network_nodes.role',
  'network_nodes.base_url',
  'network_nodes.is_active',
  'network_nodes.shared_secret_hash',
  'network_nodes.owning_center_id',
  'centers.center_key',
] as const;

function base(db: Executor) {
  return db.selectFrom('network_nodes').leftJoin('centers', 'centers.id', 'network_nodes.owning_center_id').select(columns);
}

type Row = { id: unknown; node_key: string; display_name: string; role: string; base_url: string; is_active: unknown; shared_secret_hash: string | null; owning_center_id: unknown; center_key: string | null };

function toNode(row: Row): NetworkNode {
  return {
    id: dbInt.parse(row.id),
    nodeKey: row.node_key,
    displayName: row.display_name,
    role: row.role as NetworkNode['role'],
    baseUrl: row.base_url,
    isActive: dbBool.parse(row.is_active),
    hasSecret: (row.shared_secret_hash ?? '') !== '',
    owningCenterId: row.owning_center_id === null ? null : dbInt.parse(row.owning_center_id),
    owningCenterKey: row.center_key,
  };
}

export async function findNodeByKey(db: Executor, nodeKey: string): Promise<NetworkNode | undefined> {
  const row = await base(db).where('network_nodes.node_key', '=', nodeKey).executeTakeFirst();
  return row ? toNode(row as Row) : undefined;
}

export async function findNodeById(db: Executor, id: number): Promise<NetworkNode | undefined> {
  const row = await base(db).where('network_nodes.id', '=', id).executeTakeFirst();
  return row ? toNode(row as Row) : undefined;
}

export async function findSecretHash(db: Executor, id: number): Promise<string | null> {
  const row = await db.selectFrom('network_nodes').select('shared_secret_hash').where('id', '=', id).executeTakeFirst();
  return row?.shared_secret_hash ?? null;
}

export async function listNodes(db: Executor): Promise<NetworkNode[]> {
  return (await base(db).orderBy('network_nodes.id').execute()).map((r) => toNode(r as Row));
}

export async function listActiveNodesByRole(db: Executor, role: NetworkNode['role']): Promise<NetworkNode[]> {
  return (await base(db).where('network_nodes.role', '=', role).where('network_nodes.is_active', '=', true).orderBy('network_nodes.id').execute()).map((r) => toNode(r as Row));
}

export async function nodeKeysLike(db: Executor, prefix: string): Promise<string[]> {
  return (await db.selectFrom('network_nodes').select('node_key').where('node_key', 'like', `${prefix}%`).execute()).map((r) => r.node_key);
}

export async function insertNode(
  db: Executor,
  node: { nodeKey: string; displayName: string; role: string; baseUrl: string; owningCenterId: number | null; secretHash: string | null },
): Promise<number> {
  const now = nowIso();
  const row = await db
    .insertInto('network_nodes')
    .values({ node_key: node.nodeKey, display_name: node.displayName, role: node.role, base_url: node.baseUrl, is_active: true, shared_secret_hash: node.secretHash, owning_center_id: node.owningCenterId, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return dbInt.parse(row.id);
}

export async function updateNodeSecret(db: Executor, id: number, secretHash: string): Promise<void> {
  await db.updateTable('network_nodes').set({ shared_secret_hash: secretHash, updated_at: nowIso() }).where('id', '=', id).execute();
}

export async function setNodeActive(db: Executor, id: number, active: boolean): Promise<void> {
  await db.updateTable('network_nodes').set({ is_active: active, updated_at: nowIso() }).where('id', '=', id).execute();
}
