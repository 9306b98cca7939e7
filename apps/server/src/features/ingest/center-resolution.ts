import type { Kysely } from 'kysely';
import type { DB } from '../../db/index.js';
import { allowedCenterIds, type Actor } from '../auth/index.js';

export interface IngestCenter {
  readonly id: number;
  readonly name: string;
  readonly centerKey: string;
}

/** The center lookups center resolution needs. */
export interface CenterDirectory {
  byKey(centerKey: string): Promise<IngestCenter | undefined>;
  byName(name: string): Promise<IngestCenter | undefined>;
  byId(id: number): Promise<IngestCenter | undefined>;
  /** The ApplicationSettings singleton's center, else the first center by primary key. */
  defaultCenter(): Promise<IngestCenter | undefined>;
}

/**
 * A center could not be resolved. `status` follows §3.1 step 6: messages about
 * authentication or scope are 403, every other one is 400.
 */
export class CenterResolutionError extends Error {
  readonly status: 400 | 403;
  constructor(message: string) {
    super(message);
    this.name = 'CenterResolutionError';
    this.status = /Authentication is required|outside the authenticated scope|do not have access/.test(message) ? 403 : 400;
  }
}

export interface CenterRequest {
  /** Undefined for an unauthenticated caller (reachable only where the route lets one through). */
  readonly actor: Actor | undefined;
  readonly declaredKey?: string | undefined;
  readonly declaredName?: string | undefined;
  /** `central_hub`: declared `center_key` mandatory, no fallback. */
  readonly strict: boolean;
  /** Label in the strict-mode messages, e.g. `central hub`. */
  readonly modeLabel: string;
}

export interface ResolvedCenter {
  readonly center: IngestCenter;
  readonly declared: IngestCenter | undefined;
  /** Which rule chose the center (for provenance and the audit event). */
  readonly via: 'declared' | 'user' | 'default';
}

const blank = (value: string | undefined): value is undefined => value === undefined || value.trim() === '';

/** §3.2 declared center: key and name must agree; an unknown one is named in the error. */
async function declaredCenter(directory: CenterDirectory, key: string | undefined, name: string | undefined): Promise<IngestCenter | undefined> {
  const byKey = blank(key) ? undefined : await directory.byKey(key.trim());
  const byName = blank(name) ? undefined : await directory.byName(name.trim());
  if (!blank(key) && !blank(name)) {
    if (!byKey) throw new CenterResolutionError(`Unknown center_key: ${key.trim()}`);
    if (!byName) throw new CenterResolutionError(`Unknown center_name: ${name.trim()}`);
    if (byKey.id !== byName.id) throw new CenterResolutionError('center_key and center_name refer to different centers');
    return byKey;
  }
  if (!blank(key)) {
    if (!byKey) throw new CenterResolutionError(`Unknown center_key: ${key.trim()}`);
    return byKey;
  }
  if (!blank(name)) {
    if (!byName) throw new CenterResolutionError(`Unknown center_name: ${name.trim()}`);
    return byName;
  }
  return undefined;
}

/**
 * Resolves the source center of an API upload (§3.2).
 *
 * Strict (`central_hub`): authenticated caller, a declared `center_key` that resolves,
 * no fallback; the declared center must lie in the caller's scope.
 * Otherwise: the caller's own center (when exactly one is assigned), else the declared
 * center, else the default center; the result must still lie in the caller's scope.
 * Superusers and staff are unrestricted and have no center of their own.
 */
export async function resolveUploadCenter(request: CenterRequest, directory: CenterDirectory): Promise<ResolvedCenter> {
  const { actor } = request;
  if (request.strict) {
    if (!actor) throw new CenterResolutionError(`Authentication is required for ${request.modeLabel} API uploads.`);
    if (blank(request.declaredKey)) throw new CenterResolutionError(`center_key is required for ${request.modeLabel} API uploads.`);
    let declared: IngestCenter | undefined;
    try {
      declared = await declaredCenter(directory, request.declaredKey, request.declaredName);
    } catch (error) {
      if (error instanceof CenterResolutionError && error.message.startsWith('Unknown center_key')) {
        throw new CenterResolutionError(`center_key is required for ${request.modeLabel} API uploads.`);
      }
      throw error;
    }
    const center = declared as IngestCenter;
    assertInScope(actor, center);
    return { center, declared, via: 'declared' };
  }

  const declared = await declaredCenter(directory, request.declaredKey, request.declaredName);
  const scope = actor ? allowedCenterIds(actor) : 'all';
  if (scope !== 'all' && scope.length === 0) throw new CenterResolutionError('You do not have access to upload jobs.');
  const own = scope !== 'all' && scope.length === 1 ? await directory.byId(scope[0] as number) : undefined;
  if (own) return { center: own, declared, via: 'user' };
  if (declared) {
    if (actor) assertInScope(actor, declared);
    return { center: declared, declared, via: 'declared' };
  }
  const fallback = await directory.defaultCenter();
  if (!fallback) throw new CenterResolutionError('No center is configured; declare center_key or create a center first.');
  if (actor) assertInScope(actor, fallback);
  return { center: fallback, declared, via: 'default' };
}

function assertInScope(actor: Actor, center: IngestCenter): void {
  const scope = allowedCenterIds(actor);
  if (scope === 'all') return;
  if (scope.length === 0) throw new CenterResolutionError('You do not have access to upload jobs.');
  if (!scope.includes(center.id)) throw new CenterResolutionError(`Center ${center.centerKey} is outside the authenticated scope.`);
}

/**
 * The watcher's center for all three drop directories: `LX_ANNOTATE_DEFAULT_CENTER`
 * by `center_key`, then by name (logged as a warning: keys are the machine-facing
 * identifier). Undefined when neither exists.
 */
export async function resolveWatcherCenter(directory: CenterDirectory, configured: string, warn: (message: string) => void): Promise<IngestCenter | undefined> {
  const byKey = await directory.byKey(configured);
  if (byKey) return byKey;
  const byName = await directory.byName(configured);
  if (byName) warn(`LX_ANNOTATE_DEFAULT_CENTER "${configured}" matched a center by name, not by center_key; set it to the center_key "${byName.centerKey}"`);
  return byName;
}

/** The directory over the centers table. */
export function databaseCenterDirectory(db: Kysely<DB>): CenterDirectory {
  const columns = ['id', 'name', 'center_key'] as const;
  const toCenter = (r: { id: number; name: string; center_key: string }): IngestCenter => ({ id: Number(r.id), name: r.name, centerKey: r.center_key });
  return {
    async byKey(centerKey) {
      const row = await db.selectFrom('centers').select(columns).where('center_key', '=', centerKey).executeTakeFirst();
      return row && toCenter(row);
    },
    async byName(name) {
      const row = await db.selectFrom('centers').select(columns).where('name', '=', name).orderBy('id').executeTakeFirst();
      return row && toCenter(row);
    },
    async byId(id) {
      const row = await db.selectFrom('centers').select(columns).where('id', '=', id).executeTakeFirst();
      return row && toCenter(row);
    },
    async defaultCenter() {
      const configured = await db
        .selectFrom('application_settings')
        .innerJoin('centers', 'centers.id', 'application_settings.center_id')
        .select(['centers.id', 'centers.name', 'centers.center_key'])
        .orderBy('application_settings.id')
        .executeTakeFirst();
      if (configured) return toCenter(configured);
      const first = await db.selectFrom('centers').select(columns).orderBy('id').executeTakeFirst();
      return first && toCenter(first);
    },
  };
}
