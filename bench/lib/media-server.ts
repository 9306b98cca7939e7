// Child process of the storage benchmark: the app's protected media delivery on its own event loop,
// as the api role runs it. Prints {"port": N} once listening; SIGTERM stops it.
//   media-server.ts <protected root> <key file> <serve with nginx: 0|1>
// GET /media/<relative path> delivers that file after a stand-in authorization check.
import pino from 'pino';
import { loadSingleKey } from '../../apps/server/src/adapters/storage/index.js';
import { buildApp } from '../../apps/server/src/http/app.js';
import { installProtectedMedia, sendProtectedFile } from '../../apps/server/src/http/protected-media.js';
import { Forbidden } from '../../apps/server/src/shared/errors.js';

const [root, keyFile, nginxFlag] = process.argv.slice(2);
if (root === undefined || keyFile === undefined) throw new Error('usage: media-server.ts <root> <key file> <0|1>');
const keyring = await loadSingleKey(keyFile);
const app = buildApp({ logger: pino({ level: 'silent' }), trustedProxies: ['127.0.0.1'] });
installProtectedMedia(app, { root, internalUrl: '/protected_media/', serveWithNginx: nginxFlag === '1', keyring: async () => keyring });
app.get<{ Params: { '*': string } }>('/media/*', { config: { public: true } }, async (request, reply) => {
  if (request.headers['x-bench-token'] !== 'allowed') throw new Forbidden('Keine Berechtigung.');
  return sendProtectedFile(reply, request, { relativePath: request.params['*'], fileName: 'media.bin', disposition: 'inline', contentType: 'application/octet-stream' });
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
