/** Slug of a center's display name: lowercase ASCII, umlauts transliterated, `-` separated. */
export function slugifyCenterKey(name: string): string {
  const slug = name
    .replace(/ä/gi, 'ae')
    .replace(/ö/gi, 'oe')
    .replace(/ü/gi, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'center' : slug.slice(0, 200);
}

/** The first of `base`, `base-2`, `base-3`… not in `taken`. */
export function uniqueCenterKey(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function isValidCenterKey(key: string): boolean {
  return /^[a-z0-9](?:[a-z0-9_-]{0,198}[a-z0-9])?$/.test(key);
}
