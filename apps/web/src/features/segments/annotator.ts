/**
 * Annotator identity: the signed-in user's (`oidc:<sub>` or username), or an override the user
 * chose with "als anderer Annotator neu beginnen", kept per browser in localStorage.
 */
const KEY = 'lx.annotatorOverride';

export function annotatorOverride(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setAnnotatorOverride(value: string | null): void {
  try {
    if (value && value.trim() !== '') localStorage.setItem(KEY, value.trim());
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode without storage: the override lasts only for this page.
  }
}

export const effectiveAnnotator = (own: string, override: string | null): string => override ?? own;
