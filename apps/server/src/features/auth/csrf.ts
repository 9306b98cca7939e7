import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Cookie and header names of the original (Django). */
export const CSRF_COOKIE = 'csrftoken';
export const CSRF_HEADER = 'x-csrftoken';
/** Form field name of Django's CSRF token, for the server-rendered login form. */
export const CSRF_FORM_FIELD = 'csrfmiddlewaretoken';

const mac = (secret: string, binding: string, nonce: string): string =>
  createHmac('sha256', secret).update(`csrf\n${binding}\n${nonce}`).digest('base64url');

/**
 * A CSRF token bound to the session it was issued for (`binding` is the session's
 * id hash, or `anonymous`): a token planted by a sibling site or left over from
 * before sign-in does not validate for the signed-in session.
 */
export function issueCsrfToken(secret: string, binding: string): string {
  const nonce = randomBytes(18).toString('base64url');
  return `${nonce}.${mac(secret, binding, nonce)}`;
}

export function csrfTokenValid(secret: string, binding: string, token: string | undefined): boolean {
  if (!token || token.length > 200) return false;
  const [nonce, tag, extra] = token.split('.');
  if (!nonce || !tag || extra !== undefined) return false;
  const expected = Buffer.from(mac(secret, binding, nonce));
  const given = Buffer.from(tag);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Double submit: the header (or form field) must equal the cookie, and the cookie must be bound to this session. */
export function csrfRequestValid(secret: string, binding: string, cookie: string | undefined, submitted: string | undefined): boolean {
  if (!cookie || !submitted || cookie.length !== submitted.length) return false;
  if (!timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted))) return false;
  return csrfTokenValid(secret, binding, cookie);
}

/**
 * Django's origin check for unsafe requests: an `Origin` (or, without one, the
 * `Referer`'s origin) must be this site or one of DJANGO_CSRF_TRUSTED_ORIGINS.
 * Requests with neither header (non-browser clients) rely on the token alone.
 */
export function requestOriginTrusted(ownOrigin: string, trusted: readonly string[], origin: string | undefined, referer: string | undefined): boolean {
  let claimed = origin;
  if (claimed === undefined && referer !== undefined) {
    try {
      claimed = new URL(referer).origin;
    } catch {
      return false;
    }
  }
  if (claimed === undefined) return true;
  if (claimed === 'null') return false;
  const normalise = (o: string): string => o.toLowerCase().replace(/\/+$/, '');
  const wanted = normalise(claimed);
  return wanted === normalise(ownOrigin) || trusted.some((t) => normalise(t) === wanted);
}
