import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Settings } from '../../config/index.js';

/**
 * Creates every runtime directory that is missing, with the permission contract
 * (protected roots 0750, import drop dirs 0770). Existing directories keep their
 * mode: an operator's stricter choice is not loosened. Import subtrees are
 * created eagerly, so a watcher never meets a missing drop dir.
 */
export async function ensureRuntimeDirectories(settings: Settings): Promise<string[]> {
  const p = settings.paths;
  const created: string[] = [];
  const make = async (dir: string, mode: number): Promise<void> => {
    const first = await mkdir(dir, { recursive: true, mode });
    if (first !== undefined) {
      created.push(dir);
      await chmod(dir, mode);
    }
  };
  for (const dir of [p.dataRoot, p.storageDir, p.protectedMediaRoot, p.streamableRoot, p.streamableRawRoot, p.streamableProcessedRoot, p.quarantineDir, p.logsDir]) {
    await make(dir, 0o750);
  }
  await make(p.ioDir, 0o750);
  for (const dir of [...new Set(Object.values(p.importDirs).map((d) => dirname(d)))]) await make(dir, 0o770);
  for (const dir of Object.values(p.importDirs)) await make(dir, 0o770);
  return created;
}
