/** "Validierung fortsetzen": the last file opened for validation, kept for this browser tab. */
const KEY = 'lx.lastValidation';

export function rememberValidationTarget(fileId: number, mediaType: string): void {
  try {
    sessionStorage.setItem(KEY, `/anonymisierung/validierung?fileId=${fileId}&mediaType=${mediaType}`);
  } catch {
    // Storage unavailable: resuming simply starts at the next waiting file.
  }
}

export function lastValidationTarget(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}
