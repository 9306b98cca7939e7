import { ZodError } from 'zod';

const MAX_ERROR_CHARS = 500;

/**
 * The message stored as a job's last error and logged by the worker. Job errors
 * are shown through the API, so they lose what could identify a patient or leak
 * a credential: URL user info, `key=value` secrets, absolute paths (file names
 * of imported media often carry patient names). Handlers should say which ids
 * failed; the rest of the story belongs in their own logs.
 */
export function jobErrorText(error: unknown): string {
  let text: string;
  if (error instanceof ZodError) {
    text = `invalid payload: ${error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`).join('; ')}`;
  } else if (error instanceof Error) {
    text = `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  } else {
    text = String(error);
  }
  return scrubErrorText(text);
}

export function scrubErrorText(text: string): string {
  const scrubbed = text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*(?::[^@\s/]*)?@/gi, '$1[credentials]@')
    .replace(/\b(password|passwd|pwd|secret|token|key|api[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1$2[redacted]')
    // File names may contain spaces, so a path runs to the next delimiter, not the next blank; `//` starts a URL, not a path.
    .replace(/(^|[\s"'(=:,[])(\/(?!\/)[^"'(),;:\]\n]*[^"'(),;:\]\s])/g, '$1[path]')
    .replace(/(^|[\s"'(=:,[])([A-Za-z]:\\[^"'(),;\]\n]*[^"'(),;\]\s])/g, '$1[path]')
    // One line: the error is shown in tables and log fields.
    .replace(/\p{Cc}+/gu, ' ');
  return scrubbed.length > MAX_ERROR_CHARS ? `${scrubbed.slice(0, MAX_ERROR_CHARS - 1)}…` : scrubbed;
}
