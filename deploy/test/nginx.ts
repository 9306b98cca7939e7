import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEPLOY_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const NGINX_BIN = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface SiteMapping {
  /** Replaces /var/lib/lx-annotate (certificates, static root, protected storage). */
  readonly stateDir: string;
  readonly host: string;
  readonly httpsPort: number;
  readonly httpPort: number;
  /** Where the web process (or a stand-in upstream) listens. */
  readonly upstreamPort: number;
}

/**
 * The shipped deploy/nginx-lx-annotate.conf with only host-specific values replaced: paths,
 * ports and server name. Every replacement must apply, so a reshaped config fails loudly here.
 */
export function renderShippedSite(mapping: SiteMapping): string {
  let text = readFileSync(join(DEPLOY_DIR, 'nginx-lx-annotate.conf'), 'utf8');
  const replace = (from: string | RegExp, to: string): void => {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`nginx-lx-annotate.conf no longer contains ${String(from)}`);
    text = next;
  };
  replace(/\/var\/lib\/lx-annotate\//g, `${mapping.stateDir}/`);
  replace(/^\s*listen \[::\]:443 ssl http2;\n/m, '');
  replace(/^\s*listen \[::\]:80;\n/m, '');
  replace('listen 443 ssl http2;', `listen 127.0.0.1:${mapping.httpsPort} ssl http2;`);
  replace('listen 80;', `listen 127.0.0.1:${mapping.httpPort};`);
  replace('server 127.0.0.1:8000;', `server 127.0.0.1:${mapping.upstreamPort};`);
  replace(/lx-annotate\.example\.org/g, mapping.host);
  return text;
}

export interface NginxProcess {
  readonly prefix: string;
  readonly errorLog: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the real nginx in the foreground as a child of the test, with its own prefix, pid file,
 * logs and temp paths, serving `site` (one or more server blocks).
 */
export async function startNginx(prefix: string, site: string, ports: readonly number[] = []): Promise<NginxProcess> {
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  mkdirSync(join(prefix, 'temp'), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    [
      // Test trees are 0700 temp dirs owned by the test user; root's default worker user could not read them.
      asRoot ? 'user root;' : '',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'logs', 'error.log')} info;`,
      'events { worker_connections 256; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      `  access_log ${join(prefix, 'logs', 'access.log')};`,
      `  client_body_temp_path ${join(prefix, 'temp', 'body')};`,
      `  proxy_temp_path ${join(prefix, 'temp', 'proxy')};`,
      `  fastcgi_temp_path ${join(prefix, 'temp', 'fastcgi')};`,
      `  uwsgi_temp_path ${join(prefix, 'temp', 'uwsgi')};`,
      `  scgi_temp_path ${join(prefix, 'temp', 'scgi')};`,
      site,
      '}',
      '',
    ].join('\n'),
  );
  const errorLogPath = join(prefix, 'logs', 'error.log');
  const args = ['-p', prefix, '-c', conf, '-e', errorLogPath];
  const test = spawnSync(NGINX_BIN, [...args, '-t'], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t rejected the configuration:\n${test.stderr}`);
  const child: ChildProcess = spawn(NGINX_BIN, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  // Ready once the pid file exists and every listed port accepts connections.
  for (let i = 0; i < 200 && !(existsSync(join(prefix, 'nginx.pid')) && (await allAccept(ports))); i += 1) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    prefix,
    errorLog: () => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '') + stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccept) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolveAccept(true);
    });
    socket.once('error', () => resolveAccept(false));
  });
}

async function allAccept(ports: readonly number[]): Promise<boolean> {
  return (await Promise.all(ports.map(accepts))).every(Boolean);
}

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** An HTTPS request to 127.0.0.1 with the given SNI/Host name (like curl --resolve), certificate not verified. */
export function httpsGet(
  port: number,
  host: string,
  path: string,
  options: { headers?: Record<string, string>; cert?: Buffer; key?: Buffer; method?: string } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        servername: host,
        rejectUnauthorized: false,
        headers: { host, ...options.headers },
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout fetching ${path}`)));
    req.end();
  });
}
