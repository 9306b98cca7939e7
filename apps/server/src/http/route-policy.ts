/**
 * Every route declares its access policy in its options, in one place:
 * `config: { resource: 'video' }` (checked against `<resource>:read|write` by the
 * auth hook) or `config: { public: true }` for the few unauthenticated routes
 * (health probes, login, node-authenticated hub transfers). A test walks the
 * route table and fails on a route that declares neither.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Policy resource, e.g. `video`, `patient`, `anonymization`, `jobs`. */
    resource?: string;
    /** Reachable without a user session (authenticates itself, or is a probe). */
    public?: boolean;
  }
}

export {};
