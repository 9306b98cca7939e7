import { ApplyMaskRequest, ProcessingHistoryResponse, RemoveFramesRequest, VideoAnonymizationInfo, VideoAnonymizationRequest, VideoDetails, VideoFps, VideoListResponse, VideoMetadata, VideoTaskAccepted } from '@lx/contracts';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import { sendProtectedFile } from '../../http/protected-media.js';
import { NotFound } from '../../shared/errors.js';
import { actorOf } from '../auth/index.js';
import { HLS_KINDS } from '../media/index.js';
import type { VideoCorrectionService } from './video-correction.service.js';
import type { VideoHlsService } from './video-hls.service.js';
import type { VideoMediaService } from './video-media.service.js';

const PREFIXES = ['/api/', '/endoreg-api/'] as const;
const Pk = z.object({ pk: z.coerce.number().int().positive().max(2 ** 31 - 1) });
const FrameParams = Pk.extend({ n: z.coerce.number().int().min(0).max(2 ** 31 - 1) });
const HistoryParams = Pk.extend({ history: z.coerce.number().int().positive().max(2 ** 31 - 1) });
const KeyParams = Pk.extend({ keyId: z.uuid() });
const SegmentParams = KeyParams.extend({ name: z.string().max(64) });
const PlaylistQuery = z.object({ type: z.enum(HLS_KINDS).default('processed') });
const SEGMENT_NAME = /^seg_\d{3,}\.ts$/;

export interface VideoRouteDeps {
  readonly media: VideoMediaService;
  readonly correction: VideoCorrectionService;
  readonly hls: VideoHlsService;
  /** SERVE_WITH_NGINX: segments are only ever delivered through X-Accel-Redirect. */
  readonly serveWithNginx: boolean;
  /** Asks for HLS of a video that has none yet (raw on demand, or a lost processed artifact). */
  readonly requestHls: (videoId: number, kind: 'raw' | 'processed', centerId: number) => Promise<void>;
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store, private').header('Pragma', 'no-cache').header('Expires', '0').header('X-Content-Type-Options', 'nosniff');
}

/**
 * Video media routes (§5.5, §5.6, contracts §6.2) under both prefixes, resource `video`
 * (§11: list/detail/stream/HLS/frames/correction routes are `video:read|write`). Every
 * route resolves the video through the actor's centers first.
 */
export function registerVideoRoutes(app: App, deps: VideoRouteDeps): void {
  const { media, correction, hls } = deps;
  const config = { resource: 'video' };
  for (const p of PREFIXES) {
    const v = `${p}media/videos/`;
    app.get(v, { config, schema: { response: { 200: VideoListResponse } } }, (request) => media.list(actorOf(request)));
    app.get(`${v}:pk/details/`, { config, schema: { params: Pk, response: { 200: VideoDetails } } }, (request) => media.details(actorOf(request), request.params.pk));
    app.get(`${v}:pk/metadata/`, { config, schema: { params: Pk, response: { 200: VideoMetadata } } }, (request) => media.metadata(actorOf(request), request.params.pk));
    app.get(`${v}:pk/fps/`, { config, schema: { params: Pk, response: { 200: VideoFps } } }, async (request) => ({ video_id: request.params.pk, fps: (await media.video(actorOf(request), request.params.pk)).fps }));
    app.get(`${v}:pk/processing-history/`, { config, schema: { params: Pk, response: { 200: ProcessingHistoryResponse } } }, (request) => media.history(actorOf(request), request.params.pk));
    app.get(`${p}media/processed-videos/:pk/:history/`, { config, schema: { params: HistoryParams } }, async (request, reply) => {
      const file = await media.historyOutput(actorOf(request), request.params.pk, request.params.history);
      return sendProtectedFile(reply, request, { ...file, disposition: 'attachment', contentType: 'video/mp4' });
    });
    app.get(`${v}:pk/frames/:n/stream/`, { config, schema: { params: FrameParams } }, async (request, reply) => {
      const jpeg = await media.frameJpeg(actorOf(request), request.params.pk, request.params.n);
      return noStore(reply).type('image/jpeg').send(jpeg);
    });

    for (const suffix of ['hls/playlist/', 'hls/playlist.m3u8']) {
      app.get(`${v}:pk/${suffix}`, { config, schema: { params: Pk, querystring: PlaylistQuery } }, async (request, reply) => {
        const video = await media.video(actorOf(request), request.params.pk);
        const kind = request.query.type;
        const artifact = await hls.readyArtifact(video.id, kind);
        if (!artifact) {
          if (kind === 'raw' ? video.raw_file !== null : video.processed_file !== null && video.anonymized) await deps.requestHls(video.id, kind, video.center_id);
          throw new NotFound('Für dieses Video ist noch keine HLS-Wiedergabe vorhanden; sie wird vorbereitet.');
        }
        noStore(reply);
        return sendProtectedFile(reply, request, { relativePath: artifact.playlist_relative_path, fileName: 'playlist.m3u8', disposition: 'inline', contentType: 'application/vnd.apple.mpegurl' });
      });
    }
    app.get(`${v}:pk/hls/key/:keyId/`, { config, schema: { params: KeyParams } }, async (request, reply) => {
      const video = await media.video(actorOf(request), request.params.pk);
      const key = await hls.contentKey(video.id, request.params.keyId);
      if (!key) throw new NotFound('Schlüssel nicht gefunden.');
      return noStore(reply).type('application/octet-stream').header('Content-Length', String(key.length)).send(key);
    });
    app.get(`${v}:pk/hls/segments/:keyId/:name`, { config, schema: { params: SegmentParams } }, async (request, reply) => {
      if (!deps.serveWithNginx || !SEGMENT_NAME.test(request.params.name)) throw new NotFound('Segment nicht gefunden.');
      const video = await media.video(actorOf(request), request.params.pk);
      const artifact = await hls.artifactByKey(video.id, request.params.keyId);
      if (!artifact) throw new NotFound('Segment nicht gefunden.');
      reply.header('Cache-Control', 'private, max-age=31536000, immutable');
      return sendProtectedFile(reply, request, { relativePath: `${artifact.segment_directory_relative_path}/${request.params.name}`, fileName: request.params.name, disposition: 'inline', contentType: 'video/mp2t' });
    });

    app.get(`${v}video-correction/:pk/anonymization/`, { config, schema: { params: Pk, response: { 200: VideoAnonymizationInfo } } }, (request) => correction.info(actorOf(request), request.params.pk));
    app.post(`${v}video-correction/:pk/anonymization/`, { config, schema: { params: Pk, body: VideoAnonymizationRequest, response: { 202: VideoTaskAccepted } } }, async (request, reply) =>
      reply.code(202).send(await correction.run(actorOf(request), request.params.pk, request.body)),
    );
    app.post(`${v}:pk/apply-mask/`, { config, schema: { params: Pk, body: ApplyMaskRequest, response: { 202: VideoTaskAccepted } } }, async (request, reply) =>
      reply.code(202).send(await correction.applyMask(actorOf(request), request.params.pk, request.body)),
    );
    app.post(`${v}:pk/remove-frames/`, { config, schema: { params: Pk, body: RemoveFramesRequest, response: { 202: VideoTaskAccepted } } }, async (request, reply) =>
      reply.code(202).send(await correction.removeFrames(actorOf(request), request.params.pk, request.body)),
    );
    app.post(`${v}:pk/reimport/`, { config, schema: { params: Pk, response: { 202: VideoTaskAccepted } } }, async (request, reply) => reply.code(202).send(await correction.reimport(actorOf(request), request.params.pk)));
  }
}
