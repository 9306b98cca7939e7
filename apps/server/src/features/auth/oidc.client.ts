import * as jose from 'jose';
import * as client from 'openid-client';
import type { Logger } from '../../log/logger.js';
import type { Settings } from '../../config/index.js';
import { TokenClaims } from './oidc-claims.js';

/** The provider could not be reached or is not usable as configured. One line, no secrets. */
export class OidcUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OidcUnavailable';
  }
}

/** A Bearer token that is not a valid access token of this client. */
export class InvalidToken extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'InvalidToken';
  }
}

export interface CodeFlowChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface CodeFlowResult {
  readonly idClaims: TokenClaims;
  /** Claims of the access token when it is a JWT this client accepts (Keycloak puts roles there). */
  readonly accessClaims: Record<string, unknown> | undefined;
  readonly idToken: string | undefined;
}

type OidcSettings = Settings['auth']['oidc'];

interface Provider {
  readonly config: client.Configuration;
  readonly issuer: string;
  readonly jwks: ReturnType<typeof jose.createRemoteJWKSet>;
}

const oneLine = (error: unknown): string => {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(error)}${cause ? ` (${cause})` : ''}`.replace(/\s+/g, ' ').slice(0, 300);
};

/**
 * The OpenID Connect relying party: discovery from KEYCLOAK_BASE_URL + realm (or the
 * OIDC_OP_* overrides), the authorization code flow with PKCE, RP-initiated logout,
 * and verification of Bearer access tokens against the provider's JWKS. Plain http
 * providers are accepted outside production only.
 */
export class OidcClient {
  #provider: Promise<Provider> | undefined;
  #failedAt = 0;

  constructor(
    private readonly settings: OidcSettings,
    private readonly options: { production: boolean; logger: Logger; retryAfterMs?: number },
  ) {}

  /** The discovery document URL this client uses. */
  discoveryUrl(): string {
    if (this.settings.endpoints.discovery) return this.settings.endpoints.discovery;
    const base = (this.settings.baseUrl ?? '').replace(/\/+$/, '');
    return `${base}/realms/${encodeURIComponent(this.settings.realm)}/.well-known/openid-configuration`;
  }

  /** Discovers the provider once (again after a failure, at most every 30 s); throws OidcUnavailable. */
  provider(): Promise<Provider> {
    const retryAfterMs = this.options.retryAfterMs ?? 30_000;
    if (this.#provider === undefined || (this.#failedAt > 0 && Date.now() - this.#failedAt > retryAfterMs)) {
      this.#failedAt = 0;
      const attempt = this.#discover();
      attempt.catch(() => {
        this.#failedAt = Date.now();
      });
      this.#provider = attempt;
    }
    return this.#provider;
  }

  /** Discovery plus one JWKS fetch: what production checks before it starts serving. */
  async check(): Promise<void> {
    const provider = await this.provider();
    try {
      await provider.jwks.reload();
      const keys = provider.jwks.jwks()?.keys ?? [];
      if (!keys.some((k) => k.kty === 'RSA' && (k.use === undefined || k.use === 'sig'))) {
        throw new Error('the JWKS holds no RSA signing key');
      }
    } catch (error) {
      throw new OidcUnavailable(`JWKS of ${provider.issuer} is not usable: ${oneLine(error)}`);
    }
  }

  async #discover(): Promise<Provider> {
    const url = this.discoveryUrl();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OidcUnavailable(`discovery URL "${url}" is not a URL; check KEYCLOAK_BASE_URL or OIDC_OP_DISCOVERY_ENDPOINT`);
    }
    if (this.options.production && parsed.protocol !== 'https:') {
      throw new OidcUnavailable(`discovery URL ${url} is not https; production talks to the OpenID provider over TLS only`);
    }
    const secret = this.settings.clientSecret?.reveal();
    const metadata: Partial<client.ClientMetadata> = { id_token_signed_response_alg: this.settings.signAlgorithm };
    const auth = secret === undefined ? client.None() : client.ClientSecretBasic(secret);
    const execute = this.options.production ? [] : [client.allowInsecureRequests];
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(parsed, this.settings.clientId, metadata, auth, { execute, timeout: 6 });
    } catch (error) {
      throw new OidcUnavailable(`discovery at ${url} failed: ${oneLine(error)}`);
    }
    const server = { ...discovered.serverMetadata() };
    const overrides = this.settings.endpoints;
    if (overrides.authorization) server.authorization_endpoint = overrides.authorization;
    if (overrides.token) server.token_endpoint = overrides.token;
    if (overrides.userinfo) server.userinfo_endpoint = overrides.userinfo;
    if (overrides.jwks) server.jwks_uri = overrides.jwks;
    if (overrides.logout) server.end_session_endpoint = overrides.logout;
    for (const [name, value] of [['authorization_endpoint', server.authorization_endpoint], ['token_endpoint', server.token_endpoint], ['jwks_uri', server.jwks_uri]] as const) {
      if (!value) throw new OidcUnavailable(`the provider at ${url} announces no ${name}`);
      if (this.options.production && !value.startsWith('https://')) throw new OidcUnavailable(`${name} ${value} is not https`);
    }
    const algorithms = server.id_token_signing_alg_values_supported;
    if (algorithms && !algorithms.includes(this.settings.signAlgorithm)) {
      throw new OidcUnavailable(`the provider does not sign ID tokens with ${this.settings.signAlgorithm} (OIDC_RP_SIGN_ALGO); it offers ${algorithms.join(', ')}`);
    }
    if (server.code_challenge_methods_supported && !server.code_challenge_methods_supported.includes('S256')) {
      throw new OidcUnavailable('the provider does not support PKCE with S256');
    }
    const config = new client.Configuration(server, this.settings.clientId, metadata, auth);
    for (const run of execute) run(config);
    config.timeout = 10;
    // ID tokens are checked against the JWKS too, not only trusted for arriving over TLS.
    client.enableNonRepudiationChecks(config);
    const jwks = jose.createRemoteJWKSet(new URL(server.jwks_uri as string), { timeoutDuration: 6_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    this.options.logger.info({ issuer: server.issuer }, 'OpenID provider discovered');
    return { config, issuer: server.issuer, jwks };
  }

  /** Where to send the browser: authorization code flow with PKCE (S256), state and nonce. */
  async authorizationUrl(redirectUri: string, checks: CodeFlowChecks): Promise<string> {
    const { config } = await this.provider();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes,
      response_type: 'code',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      // As the original (mozilla-django-oidc with prompt=login): every sign-in asks for credentials.
      prompt: 'login',
    });
    return url.href;
  }

  /** Redeems the authorization response at the token endpoint and validates the ID token. */
  async redeem(callbackUrl: URL, checks: CodeFlowChecks): Promise<CodeFlowResult> {
    const { config } = await this.provider();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = TokenClaims.parse(tokens.claims());
    let accessClaims: Record<string, unknown> | undefined;
    try {
      accessClaims = await this.verifyAccessToken(tokens.access_token);
      if (accessClaims.sub !== idClaims.sub) accessClaims = undefined;
    } catch {
      // An opaque or foreign-audience access token carries nothing we may trust; the ID token suffices.
      accessClaims = undefined;
    }
    return { idClaims, accessClaims, idToken: tokens.id_token };
  }

  /**
   * Verifies a Bearer access token: RS256 (OIDC_RP_SIGN_ALGO) signature by a key of
   * the provider's JWKS, issuer, expiry, audience = this client, and that it is an
   * access token (`typ: at+jwt` header, or Keycloak's `typ: Bearer` claim) and not
   * an ID token presented as one.
   */
  async verifyAccessToken(token: string): Promise<TokenClaims & Record<string, unknown>> {
    let provider: Provider;
    try {
      provider = await this.provider();
    } catch {
      throw new InvalidToken('the OpenID provider is unavailable');
    }
    let result: jose.JWTVerifyResult;
    try {
      result = await jose.jwtVerify(token, provider.jwks, {
        issuer: provider.issuer,
        audience: this.settings.clientId,
        algorithms: [this.settings.signAlgorithm],
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: 30,
      });
    } catch (error) {
      throw new InvalidToken((error as { code?: string }).code ?? 'verification failed');
    }
    const headerType = (result.protectedHeader.typ ?? '').toLowerCase();
    const isAccessToken = headerType === 'at+jwt' || headerType === 'application/at+jwt' || result.payload.typ === 'Bearer';
    if (!isAccessToken) throw new InvalidToken('not an access token');
    const claims = TokenClaims.safeParse(result.payload);
    if (!claims.success) throw new InvalidToken('claims malformed');
    return claims.data as TokenClaims & Record<string, unknown>;
  }

  /** RP-initiated logout URL, when the provider has an end-session endpoint. */
  async endSessionUrl(idToken: string | undefined, postLogoutRedirectUri: string): Promise<string | undefined> {
    let provider: Provider;
    try {
      provider = await this.provider();
    } catch {
      return undefined;
    }
    if (!provider.config.serverMetadata().end_session_endpoint) return undefined;
    const params: Record<string, string> = { post_logout_redirect_uri: postLogoutRedirectUri, client_id: this.settings.clientId };
    if (idToken) params.id_token_hint = idToken;
    return client.buildEndSessionUrl(provider.config, params).href;
  }

  /** Origin of the provider's authorization endpoint (for the CSP form-action). */
  originForCsp(): string | undefined {
    try {
      return new URL(this.settings.endpoints.authorization ?? this.discoveryUrl()).origin;
    } catch {
      return undefined;
    }
  }
}
