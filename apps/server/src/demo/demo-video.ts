import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { commitTempFile, removeQuietly, runTool, siblingTempPath, type MediaTools } from '../adapters/ffmpeg/index.js';
import { OVERLAY_FIELDS, PROCESSORS, type ProcessorPreset, type Rect } from '../features/knowledge-base/index.js';
import { DEMO_IDENTITY, DEMO_OVERLAY_TEXT } from './demo-identity.js';

/** Where Debian's fonts-dejavu-core puts the font the overlay is drawn with. */
export const DEMO_FONT_CANDIDATES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'];
export const DEMO_PROCESSOR = 'olympus_cv_1500';

export interface DemoVideoSpec {
  readonly width: number;
  readonly height: number;
  readonly durationSeconds: number;
  readonly fps?: number;
}

/** The two standard variants: a short 1080p clip for tests and a 60 s 720p clip for demos and benchmarks. */
export const DEMO_VARIANTS = {
  short: { file: 'demo-short-1080p.mp4', width: 1920, height: 1080, durationSeconds: 4 },
  long: { file: 'demo-60s-720p.mp4', width: 1280, height: 720, durationSeconds: 60 },
} as const satisfies Record<string, DemoVideoSpec & { file: string }>;
export type DemoVariant = keyof typeof DEMO_VARIANTS;

export function findDemoFont(): string {
  const font = DEMO_FONT_CANDIDATES.find((p) => existsSync(p));
  if (!font) throw new Error('no DejaVu Sans font found; install the Debian package fonts-dejavu-core');
  return font;
}

function olympusPreset(): ProcessorPreset {
  const preset = PROCESSORS.find((p) => p.name === DEMO_PROCESSOR);
  if (!preset) throw new Error(`processor preset ${DEMO_PROCESSOR} is missing from the base data`);
  return preset;
}

/** Filter option values are quoted; our own temp paths never contain a quote, anything else is refused. */
function quoted(value: string): string {
  if (value.includes("'")) throw new RangeError(`cannot quote ${JSON.stringify(value)} for a filter graph`);
  return `'${value}'`;
}

function scale(rect: Rect, sx: number, sy: number): Rect {
  return { x: Math.round(rect.x * sx), y: Math.round(rect.y * sy), width: Math.round(rect.width * sx), height: Math.round(rect.height * sy) };
}

/** The endoscope image rectangle at the requested size, with even sides (lavfi sources round odd sizes down). */
function imageRect(spec: DemoVideoSpec, preset: ProcessorPreset): Rect {
  const r = scale(preset.endoscopeImage, spec.width / preset.imageWidth, spec.height / preset.imageHeight);
  return { ...r, width: r.width - (r.width % 2), height: r.height - (r.height % 2) };
}

/**
 * The filter graph of a demo video: black frame, a round field of view with a slowly moving
 * mucosa-coloured texture inside the endoscope image rectangle, and the fictitious patient
 * overlay drawn into the preset's overlay rectangles (all scaled to the requested size).
 */
export function demoFilterGraph(spec: DemoVideoSpec, textFiles: ReadonlyMap<string, string>, fontFile: string): string {
  const preset = olympusPreset();
  const sx = spec.width / preset.imageWidth;
  const sy = spec.height / preset.imageHeight;
  const image = imageRect(spec, preset);
  const radius = Math.floor(Math.min(image.width, image.height) / 2) - 2;
  const parts = [
    `[3:v]format=gray,geq=lum='255*lt(hypot(X-W/2,Y-H/2),${radius})',loop=loop=-1:size=1[fovmask]`,
    // A still grain image drifting over moving colour gradients, made at quarter size and blown
    // up: cheap to render and to encode, and it looks like mucosa rather than pixel noise.
    `[2:v]noise=alls=60:allf=u,gblur=sigma=1.2,loop=loop=-1:size=1,scroll=h=0.002:v=0.001,format=gbrp[grain]`,
    `[1:v]format=gbrp[colour]`,
    `[colour][grain]blend=all_mode=overlay:shortest=1,scale=${image.width}:${image.height}:flags=bicubic,format=rgba[texture]`,
    `[texture][fovmask]alphamerge[fov]`,
  ];
  const draw: string[] = [];
  for (const field of OVERLAY_FIELDS) {
    const roi = preset.overlayRois[field];
    const textFile = textFiles.get(field);
    if (!roi || !textFile) continue;
    const box = scale(roi, sx, sy);
    const fontSize = Math.max(10, Math.round(box.height * 0.66));
    draw.push(
      `drawtext=fontfile=${quoted(fontFile)}:textfile=${quoted(textFile)}:expansion=none:fontcolor=white:fontsize=${fontSize}` +
        `:x=${box.x + Math.round(8 * sx)}:y=${box.y + Math.round((box.height - fontSize) / 2)}`,
    );
  }
  parts.push(`[0:v][fov]overlay=${image.x}:${image.y}:shortest=1${draw.map((d) => `,${d}`).join('')},format=yuv420p[out]`);
  return parts.join(';');
}

/** Writes one synthetic demo video (H.264 MP4) to `outPath`. */
export async function makeDemoVideo(tools: MediaTools, spec: DemoVideoSpec, outPath: string, options: { fontFile?: string; signal?: AbortSignal } = {}): Promise<void> {
  const fps = spec.fps ?? 25;
  const preset = olympusPreset();
  const image = imageRect(spec, preset);
  // Texture sources at quarter size, even dimensions (some lavfi sources round odd sizes down).
  const quarter = `${2 * Math.round(image.width / 8)}x${2 * Math.round(image.height / 8)}`;
  await mkdir(dirname(outPath), { recursive: true });
  const textDir = await mkdtemp(join(dirname(outPath), '.demo-text-'));
  const temp = siblingTempPath(outPath);
  try {
    const textFiles = new Map<string, string>();
    for (const [field, text] of Object.entries(DEMO_OVERLAY_TEXT)) {
      const file = join(textDir, `${field}.txt`);
      await writeFile(file, text, 'utf8');
      textFiles.set(field, file);
    }
    const duration = String(spec.durationSeconds);
    await runTool({
      tool: 'ffmpeg',
      command: tools.ffmpeg,
      args: [
        '-hide_banner', '-nostdin', '-v', 'error', '-nostats', '-progress', 'pipe:3', '-y',
        '-f', 'lavfi', '-i', `color=c=black:s=${spec.width}x${spec.height}:r=${fps}:d=${duration}`,
        '-f', 'lavfi', '-i', `gradients=s=${quarter}:r=${fps}:d=${duration}:c0=0x9c2f25:c1=0xe0806e:c2=0x6e1c16:c3=0xf0b09a:n=4:speed=0.03:seed=7`,
        '-f', 'lavfi', '-i', `color=c=gray:s=${quarter}:r=${fps}:d=${1 / fps}`,
        '-f', 'lavfi', '-i', `color=c=black:s=${image.width}x${image.height}:r=${fps}:d=${1 / fps}`,
        '-filter_complex', demoFilterGraph(spec, textFiles, options.fontFile ?? findDemoFont()),
        '-map', '[out]',
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20',
        '-movflags', '+faststart',
        '-t', duration,
        '-f', 'mp4',
        temp,
      ],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      progressFd: true,
      signal: options.signal,
    });
    await commitTempFile(temp, outPath, 0o644);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  } finally {
    await rm(textDir, { recursive: true, force: true });
  }
}

/** The `demo.json` written beside the videos: which fake identifiers they show. */
export function demoManifest(videos: readonly { file: string; width: number; height: number; durationSeconds: number; fps: number }[]) {
  return {
    generator: 'lx-annotate demo make',
    fictitious: true,
    note: 'Alle Angaben sind erfunden (synthetisches Demo-Video).',
    processor: DEMO_PROCESSOR,
    videos,
    patient: DEMO_IDENTITY.patient,
    examination: DEMO_IDENTITY.examination,
    endoscope: DEMO_IDENTITY.endoscope,
    overlay: DEMO_OVERLAY_TEXT,
  };
}

/** Writes the requested variants and `demo.json` into `dir`; returns the written video paths. */
export async function makeDemoSet(tools: MediaTools, dir: string, variants: readonly DemoVariant[] = ['short', 'long']): Promise<{ manifestPath: string; videos: Record<string, string> }> {
  await mkdir(dir, { recursive: true });
  const written: { file: string; width: number; height: number; durationSeconds: number; fps: number }[] = [];
  const videos: Record<string, string> = {};
  for (const variant of variants) {
    const v = DEMO_VARIANTS[variant];
    const path = join(dir, v.file);
    await makeDemoVideo(tools, v, path);
    written.push({ file: v.file, width: v.width, height: v.height, durationSeconds: v.durationSeconds, fps: 25 });
    videos[variant] = path;
  }
  const manifestPath = join(dir, 'demo.json');
  const temp = siblingTempPath(manifestPath);
  try {
    await writeFile(temp, `${JSON.stringify(demoManifest(written), null, 2)}\n`, { encoding: 'utf8', flag: 'wx' });
    await commitTempFile(temp, manifestPath, 0o644);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  return { manifestPath, videos };
}
