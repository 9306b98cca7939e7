import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
// @ts-expect-error -- oidc-provider 9 ships no type declarations; the few members used here are typed below.
import OidcProviderClass from 'oidc-provider';

/** A user the test provider knows, with the claims it asserts. */
export interface TestAccount {
  readonly password: string;
  /** Claims of the ID token (besides `sub`), e.g. preferred_username, email, roles. */
  readonly idClaims?: Record<string, unknown>;
  /** Extra claims of the JWT access token, e.g. realm_access and groups as Keycloak puts them. */
  readonly accessClaims?: Record<string, unknown>;
}

export interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  /** `authorization_code` (default) or `client_credentials`. */
  readonly grant?: 'authorization_code' | 'client_credentials';
  /** `aud` of the access tokens issued to this client; defaults to its client id. */
  readonly audience?: string;
}

interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; prompt: { name: string } }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: unknown, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  };
  on(event: string, listener: (...args: unknown[]) => void): void;
}

const OidcProvider = OidcProviderClass as new (issuer: string, configuration: Record<string, unknown>) => ProviderLike;

/** The resource indicator every access token is issued for (as a JWT). */
export const TEST_RESOURCE = 'urn:lx-annotate:api';

export interface TestOidcProvider {
  /** Issuer URL, `<origin>/realms/<realm>` like Keycloak. */
  readonly issuer: string;
  readonly origin: string;
  readonly realm: string;
  /** The RS256 signing key as a private JWK (tests sign expired tokens with it). */
  readonly signingJwk: JsonWebKeyWithKid;
  /** Installs the clients and accounts; until then every request answers 503. */
  configure(options: { clients: readonly TestClient[]; accounts: Readonly<Record<string, TestAccount>> }): void;
  close(): Promise<void>;
}

export interface JsonWebKeyWithKid extends JsonWebKey {
  kid: string;
}

/** An RS256 key pair as JWKs, the private one with a `kid`. */
export function generateRsaJwk(kid = randomBytes(6).toString('hex')): { privateJwk: JsonWebKeyWithKid; publicJwk: JsonWebKeyWithKid } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JsonWebKey), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid, alg: 'RS256', use: 'sig' },
  };
}

/**
 * Starts a real OpenID provider (oidc-provider 9) on 127.0.0.1 behind a Keycloak-like
 * path `/realms/<realm>`, with a freshly generated RS256 key. The login interaction is
 * ours: GET `<issuer>/interaction/<uid>` answers JSON, POST `…/login` with `login` and
 * `password` form fields signs the account in; consent is granted automatically.
 * Access tokens are JWTs (`typ: at+jwt`) for the client's audience.
 * With `tls`, the provider listens on https with the given certificate.
 */
export async function startOidcProvider(options: { realm?: string; tls?: { key: string; cert: string } } = {}): Promise<TestOidcProvider> {
  const realm = options.realm ?? 'EndoregDb';
  const prefix = `/realms/${realm}`;
  const { privateJwk } = generateRsaJwk();
  let provider: ProviderLike | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let accounts: Readonly<Record<string, TestAccount>> = {};

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void route(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  };
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    if (!provider || !handler || !url.startsWith(prefix)) {
      res.statusCode = provider ? 404 : 503;
      res.end();
      return;
    }
    const inner = url.slice(prefix.length) || '/';
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(inner.split('?')[0] ?? '');
    if (interaction) {
      const details = await provider.interactionDetails(req, res);
      if (interaction[2] === undefined && req.method === 'GET') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name }));
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      const login = form.get('login') ?? '';
      const account = accounts[login];
      if (!account || account.password !== form.get('password')) {
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'invalid credentials' }));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    // oidc-provider derives its mount path from originalUrl minus url, as behind express.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = inner;
    handler(req, res);
  };

  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const issuer = `${origin}${prefix}`;

  return {
    issuer,
    origin,
    realm,
    signingJwk: privateJwk,
    configure({ clients, accounts: accountMap }) {
      accounts = accountMap;
      const audienceOf = new Map(clients.map((c) => [c.clientId, c.audience ?? c.clientId]));
      provider = new OidcProvider(issuer, {
        clients: clients.map((c) =>
          c.grant === 'client_credentials'
            ? { client_id: c.clientId, client_secret: c.clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }
            : {
                client_id: c.clientId,
                client_secret: c.clientSecret,
                redirect_uris: [...(c.redirectUris ?? [])],
                post_logout_redirect_uris: [...(c.postLogoutRedirectUris ?? [])],
                grant_types: ['authorization_code'],
                response_types: ['code'],
                token_endpoint_auth_method: 'client_secret_basic',
                id_token_signed_response_alg: 'RS256',
              },
        ),
        jwks: { keys: [privateJwk] },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        pkce: { required: () => true },
        conformIdTokenClaims: false,
        claims: {
          openid: ['sub', 'roles', 'groups', 'realm_access'],
          email: ['email', 'email_verified'],
          profile: ['name', 'preferred_username'],
        },
        async findAccount(_ctx: unknown, sub: string) {
          const account = accounts[sub];
          if (!account) return undefined;
          return { accountId: sub, claims: async () => ({ sub, ...(account.idClaims ?? {}) }) };
        },
        async extraTokenClaims(_ctx: unknown, token: { accountId?: string }) {
          return token.accountId ? accounts[token.accountId]?.accessClaims : undefined;
        },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${prefix}/interaction/${interaction.uid}` },
        // First-party clients: consent is implied, so the only interaction is the login.
        async loadExistingGrant(ctx: { oidc: { client: { clientId: string }; session: { accountId?: string } } }) {
          const accountId = ctx.oidc.session.accountId;
          if (!accountId) return undefined;
          const grant = new (provider as ProviderLike).Grant({ accountId, clientId: ctx.oidc.client.clientId });
          grant.addOIDCScope('openid email profile');
          grant.addResourceScope(TEST_RESOURCE, 'api');
          await grant.save();
          return grant;
        },
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          rpInitiatedLogout: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => TEST_RESOURCE,
            useGrantedResource: () => true,
            getResourceServerInfo: (_ctx: unknown, _resource: string, client: { clientId: string }) => ({
              scope: 'api',
              audience: audienceOf.get(client.clientId) ?? client.clientId,
              accessTokenFormat: 'jwt',
              accessTokenTTL: 300,
              jwt: { sign: { alg: 'RS256' } },
            }),
          },
        },
        ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Interaction: 300, Session: 3600, Grant: 3600, ClientCredentials: 300 },
      });
      handler = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A minimal cookie jar for driving redirects by hand: keeps cookies per origin and path,
 * honours Max-Age=0/expired deletions, ignores Secure so that http test servers work.
 */
export class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string; origin: string }>();

  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val || '/';
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(attribute.slice(8)) < Date.now()) expired = true;
      }
      const key = `${origin} ${path} ${name}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path, origin });
    }
  }

  header(url: string): string {
    const u = new URL(url);
    return [...this.#cookies.values()]
      .filter((c) => c.origin === u.origin && (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  get(origin: string, name: string): string | undefined {
    return [...this.#cookies.values()].find((c) => c.origin === origin && c.name === name)?.value;
  }

  delete(origin: string, name: string): void {
    for (const [key, c] of this.#cookies) if (c.origin === origin && c.name === name) this.#cookies.delete(key);
  }

  /** fetch with this jar, never following redirects. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response);
    return response;
  }
}

/**
 * Drives the provider side of an authorization request: GET the authorization URL,
 * follow to the login interaction, POST the credentials, follow the resume redirect,
 * and return the final redirect back to the client (its `Location`, not followed).
 */
export async function loginAtProvider(jar: CookieJar, authorizationUrl: string, login: string, password: string): Promise<URL> {
  let url = authorizationUrl;
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await jar.fetch(url);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      const issuerOrigin = new URL(authorizationUrl).origin;
      if (next.origin !== issuerOrigin) return next;
      if (/\/interaction\/[^/]+$/.test(next.pathname)) {
        const details = await jar.fetch(next.href);
        if (details.status !== 200) throw new Error(`interaction failed: ${details.status} ${await details.text()}`);
        await details.body?.cancel();
        const submitted = await jar.fetch(`${next.href}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ login, password }).toString(),
        });
        const resume = submitted.headers.get('location');
        if (submitted.status !== 303 || !resume) throw new Error(`login at provider failed: ${submitted.status} ${await submitted.text()}`);
        url = new URL(resume, next).href;
        continue;
      }
      url = next.href;
      continue;
    }
    throw new Error(`unexpected provider answer ${response.status} for ${url}: ${(await response.text()).slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}
