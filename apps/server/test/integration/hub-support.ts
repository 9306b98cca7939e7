// Two nodes on one machine for the hub transfer tests: a hub (PostgreSQL) behind the shipped nginx
// site with TLS and client-certificate verification, and a site (SQLite) with validated videos.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { HubTransferCreate } from '@lx/contracts';
import type { Actor } from '../../src/features/auth/index.js';
import type { Runtime } from '../../src/main/compose.js';
import { childEnv, REPO_ROOT } from '../helpers/processes.js';

export const SITE_NODE = 'klinik-a-site';
export const HUB_NODE = 'zentrale';
export const CENTER_KEY = 'klinik-a';
export const NODE_SECRET = 'site-secret-0123456789-abcdefghij';

export const ACTOR: Actor = {
  userId: 1,
  username: 'exporteur',
  roles: ['data:write'],
  centerIds: 'all',
  isSuperuser: true,
  isStaff: false,
  authSource: 'local',
  oidcSubject: null,
  mustChangePassword: false,
  via: 'session',
};

const sha = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');

export function baseEnv(database: Record<string, string>, dataRoot: string, extra: Record<string, string>): Record<string, string> {
  mkdirSync(join(dataRoot, 'storage'), { recursive: true });
  return {
    DJANGO_ENV: 'test',
    DATA_DIR: dataRoot,
    ...database,
    DJANGO_SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
    DJANGO_ALLOWED_HOSTS: '127.0.0.1,localhost',
    LX_ANNOTATE_MASTER_KEY: randomBytes(32).toString('base64url'),
    LX_ANNOTATE_LOG_LEVEL: 'error',
    ...extra,
  };
}

export function secretFile(dir: string, value: string): string {
  const file = join(dir, 'node-secret');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}

export interface SiteVideo {
  readonly id: number;
  readonly videoHash: string;
  readonly processedSha256: string;
  readonly plaintext: Buffer;
}

async function storeProcessed(site: Runtime, path: string, plaintext: Buffer) {
  return (await site.storage.service()).write(path, Readable.from([plaintext]));
}

/** Sensitive meta with the patient's real surname (it must never leave the site) and pseudonymous hashes of `key`. */
async function insertMeta(site: Runtime, centerId: number, m: { key: string; examination_date: string; patient_dob: string; patient_gender: string }) {
  const now = new Date().toISOString();
  const { key, ...dates } = m;
  return site.db
    .insertInto('sensitive_meta')
    .values({ center_id: centerId, patient_hash: sha(`patient-${key}`), examination_hash: sha(`exam-${key}`), ...dates, patient_last_name: 'Mustermann', created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** A video as the pipeline leaves it after validation: rows plus an encrypted processed file. */
export async function makeValidatedVideo(site: Runtime, centerId: number, plaintext: Buffer, n: number): Promise<SiteVideo> {
  const stored = await storeProcessed(site, `videos/processed/${randomUUID()}.mp4`, plaintext);
  const now = new Date().toISOString();
  const meta = await insertMeta(site, centerId, { key: String(n), examination_date: '2024-03-05', patient_dob: '1961-02-03', patient_gender: 'female' });
  const videoHash = sha(`raw-video-${n}-${randomUUID()}`);
  const video = await site.db
    .insertInto('video_files')
    .values({
      uuid: randomUUID(),
      center_id: centerId,
      processor_id: null,
      raw_file: null,
      processed_file: stored.relativePath,
      video_hash: videoHash,
      processed_video_hash: stored.sha256Hex,
      original_file_name: null,
      uploaded_at: now,
      fps: 25,
      duration_seconds: 4,
      frame_count: 100,
      width: 640,
      height: 480,
      examination_date: null,
      patient_id: null,
      patient_examination_id: null,
      sensitive_meta_id: Number(meta.id),
      upload_job_id: null,
      raw_streamable_relative_path: null,
      processed_streamable_relative_path: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await site.db.insertInto('video_states').values({ video_file_id: Number(video.id), anonymized: true, anonymization_validated: true, processed_file_sha256: stored.sha256Hex, updated_at: now }).execute();
  return { id: Number(video.id), videoHash, processedSha256: stored.sha256Hex, plaintext };
}

export interface SiteReport {
  readonly id: number;
  readonly pdfHash: string;
  readonly processedSha256: string;
  readonly plaintext: Buffer;
}

/**
 * A report PDF as the workflow leaves it after validation: the raw text still names the patient
 * (it must never leave the site), the anonymized text and processed PDF do not.
 */
export async function makeValidatedReport(site: Runtime, centerId: number, n: number): Promise<SiteReport> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText(`Koloskopie-Befund ${n}: [NAME] [GEBURTSDATUM], Sigma unauffaellig.`, { x: 50, y: 780, size: 11, font });
  const plaintext = Buffer.from(await doc.save());
  const stored = await storeProcessed(site, `documents/processed/${randomUUID()}.pdf`, plaintext);
  const now = new Date().toISOString();
  const meta = await insertMeta(site, centerId, { key: `r${n}`, examination_date: '2023-11-20', patient_dob: '1958-07-01', patient_gender: 'male' });
  const pdfHash = sha(`raw-pdf-${n}-${randomUUID()}`);
  const pdf = await site.db
    .insertInto('pdf_files')
    .values({
      uuid: randomUUID(),
      center_id: centerId,
      file: null,
      processed_file: stored.relativePath,
      pdf_hash: pdfHash,
      original_file_name: null,
      text: `Koloskopie-Befund ${n}: Max Mustermann, geb. 01.07.1958, Sigma unauffaellig.`,
      anonymized_text: `Koloskopie-Befund ${n}: [NAME] [GEBURTSDATUM], Sigma unauffaellig.`,
      patient_id: null,
      patient_examination_id: null,
      examiner_id: null,
      pdf_type: 'report',
      document_type: null,
      sensitive_meta_id: Number(meta.id),
      upload_job_id: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await site.db.insertInto('pdf_states').values({ pdf_file_id: Number(pdf.id), anonymized: true, anonymization_validated: true, processed_file_sha256: stored.sha256Hex, updated_at: now }).execute();
  return { id: Number(pdf.id), pdfHash, processedSha256: stored.sha256Hex, plaintext };
}

/** A create payload as a field sender of the given generation sends it. */
export function createPayload(video: SiteVideo, schema: '2.0' | '3.0', overrides: Partial<HubTransferCreate> = {}): HubTransferCreate {
  return {
    transfer_key: `${SITE_NODE}__video__${video.videoHash}__processed_v1`,
    source_node_key: SITE_NODE,
    target_node_key: HUB_NODE,
    source_center_key: CENTER_KEY,
    resource_kind: 'video',
    resource_hash: video.videoHash,
    transfer_mode: 'metadata_and_processed_media',
    processing_policy: 'preserve_processing_state',
    processing_intent: 'sender_requests_state_preservation',
    cleanup_policy: 'retain_all',
    payload_schema_version: schema,
    resource_rows: {
      video_file: { video_hash: video.videoHash, processed_video_hash: video.processedSha256, suffix: '.mp4', fps: 25, duration: 4, frame_count: 100, width: 640, height: 480 },
      video_state: { anonymized: true, anonymization_validated: true, processing_error: false, processed_file_sha256: video.processedSha256 },
      sensitive_meta: { patient_hash: sha('p'), examination_hash: sha('e') },
      processing_history: { file_hash: video.videoHash, success: true },
    },
    processing_snapshot: { sender_processing_success: true },
    provenance: { entrypoint: 'field_sender' },
    ...overrides,
  };
}

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

/**
 * A recording HTTP relay between nginx and the hub app: what a tap inside the hub's network
 * would see.
 */
export class Recorder {
  readonly seen: Recorded[] = [];
  server: Server | undefined;
  /** Where requests go; a test may point it at another hub process. */
  appPort = 0;

  listen(port: number, appPort: number): Promise<void> {
    this.appPort = appPort;
    this.server = createServer((req, res) => {
      const entry: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0), status: 0 };
      this.seen.push(entry);
      const parts: Buffer[] = [];
      const upstream = httpRequest({ host: '127.0.0.1', port: this.appPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        entry.body = Buffer.concat(parts);
        upstream.write(chunk);
      });
      req.on('end', () => upstream.end());
      req.on('close', () => {
        if (!req.complete) upstream.destroy();
      });
    });
    return new Promise((r) => this.server?.listen(port, '127.0.0.1', () => r()));
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/**
 * A slow TCP relay in front of nginx (TLS passes through untouched): the sender's bytes trickle
 * in, so that killing the sender leaves nginx, and the hub behind it, with a partial upload.
 */
export class SlowLink {
  server: TcpServer | undefined;
  readonly sockets = new Set<Socket>();

  listen(port: number, targetPort: number, bytesPerSecond: number): Promise<void> {
    this.server = createTcpServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      this.sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        upstream.write(chunk);
        client.pause();
        setTimeout(() => client.resume(), Math.ceil((chunk.length * 1000) / bytesPerSecond));
      });
      upstream.pipe(client);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    return new Promise((r) => this.server?.listen(port, '127.0.0.1', () => r()));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The file part of a recorded multipart body. */
export function filePartOf(entry: Recorded): Buffer {
  const boundary = /boundary=(\S+)/.exec(String(entry.headers['content-type']))?.[1] as string;
  const start = entry.body.indexOf('name="file"');
  const bodyStart = entry.body.indexOf('\r\n\r\n', start) + 4;
  const end = entry.body.indexOf(Buffer.from(`\r\n--${boundary}--`), bodyStart);
  return entry.body.subarray(bodyStart, end);
}

const CLI = resolve(REPO_ROOT, 'apps/server/src/main/cli.ts');

/** `lx-annotate <args>` as a child process, without blocking this process (the hub runs in it). */
export function spawnCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const done = new Promise<{ code: number | null; output: string }>((r) => child.once('exit', (code) => r({ code, output })));
  return { child, done };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
