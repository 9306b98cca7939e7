/** Domain errors thrown by services; `http/error-mapping.ts` is the one place that turns them into responses. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
export class NotFound extends DomainError {}
export class Forbidden extends DomainError {}
export class Conflict extends DomainError {}
export class Invalid extends DomainError {}
export class Unavailable extends DomainError {}
