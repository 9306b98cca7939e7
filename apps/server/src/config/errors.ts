/**
 * A setting that cannot be accepted. The message is one line naming the variable,
 * the shape of the bad value (never the value of a secret) and what is accepted.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly shape: string,
    readonly accepted: string,
  ) {
    super(`${variable}: got ${shape}; accepted: ${accepted}`);
    this.name = 'ConfigError';
  }
}

/** Describes a value without revealing it: its length and character classes. */
export function describeShape(value: string): string {
  if (value === '') return 'an empty value';
  const classes = [
    /[a-z]/.test(value) ? 'lowercase' : '',
    /[A-Z]/.test(value) ? 'uppercase' : '',
    /[0-9]/.test(value) ? 'digits' : '',
    /[^A-Za-z0-9]/.test(value) ? 'symbols' : '',
  ].filter(Boolean);
  return `a ${value.length}-character value (${classes.join(', ')})`;
}
