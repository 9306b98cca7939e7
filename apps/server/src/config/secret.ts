import { inspect } from 'node:util';

/**
 * A secret value that does not print itself: string conversion, JSON and
 * `util.inspect` all show a placeholder, so it cannot end up in a log line.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The only way to the value; call it at the point of use. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
