import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** Server certificate for `host` (self-signed) and its key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The CA nginx trusts for client certificates, and a sender node's certificate signed by it. */
  readonly clientCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from a CA nginx does not trust. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function keyAndCsr(dir: string, name: string, subject: string): void {
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', subject]);
}

function selfSignedCa(dir: string, name: string, subject: string): void {
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-subj', subject]);
}

function sign(dir: string, name: string, ca: string, extensions: string): void {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${ca}.crt`), '-CAkey', join(dir, `${ca}.key`), '-CAcreateserial', '-days', '2', '-out', join(dir, `${name}.crt`), '-extfile', ext]);
}

/** Generates, with the real openssl, the certificates a deployment test needs. */
export function generatePki(dir: string, host: string): TestPki {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'), '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`]);
  selfSignedCa(dir, 'hub-client-ca', '/CN=lx-annotate test hub client CA');
  keyAndCsr(dir, 'node', '/CN=site-node-1');
  sign(dir, 'node', 'hub-client-ca', 'extendedKeyUsage=clientAuth\n');
  selfSignedCa(dir, 'stranger-ca', '/CN=untrusted CA');
  keyAndCsr(dir, 'stranger', '/CN=stranger');
  sign(dir, 'stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCa: join(dir, 'hub-client-ca.crt'),
    clientCert: join(dir, 'node.crt'),
    clientKey: join(dir, 'node.key'),
    strangerCert: join(dir, 'stranger.crt'),
    strangerKey: join(dir, 'stranger.key'),
  };
}

export const pem = (path: string): Buffer => readFileSync(path);
