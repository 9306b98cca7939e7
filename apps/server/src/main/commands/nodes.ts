import { readFile } from 'node:fs/promises';
import { schemaStatus } from '../../db/index.js';
import { DomainError } from '../../shared/errors.js';
import { compose } from '../compose.js';
import { EXIT, type Command } from './command.js';
import { cliActor, readPasswordFromStdin } from './users.js';

const SUBCOMMANDS = ['add', 'list', 'set-secret', 'deactivate'] as const;

/** The secret from a file or stdin, never from argv (argv is visible to every local user). */
async function readSecret(values: Record<string, unknown>): Promise<string | undefined> {
  if (typeof values['secret-file'] === 'string') return (await readFile(values['secret-file'], 'utf8')).replace(/\r?\n$/, '');
  if (values['secret-stdin'] === true) return readPasswordFromStdin();
  return undefined;
}

export const nodesCommand: Command = {
  name: 'nodes',
  summary: 'Hub network nodes: add, list, set-secret, deactivate (secrets stored only as scrypt hashes)',
  usage: [
    'add --display-name N --role central_hub|site_node [--node-key K] [--base-url https://…] [--center KEY] [--secret-file F | --secret-stdin]',
    '       lx-annotate nodes list',
    '       lx-annotate nodes set-secret <node_key> (--secret-file F | --secret-stdin)',
    '       lx-annotate nodes deactivate <node_key>',
    '',
    'On the hub: one site_node record per sender, with its owning center and secret.',
    "On a site: this site's own site_node record and the hub's central_hub record (base URL);",
    "the site's secret towards the hub lives in LX_ANNOTATE_HUB_SOURCE_NODE_SECRET(_FILE).",
  ].join('\n'),
  allowPositionals: true,
  options: {
    'display-name': { type: 'string' },
    role: { type: 'string' },
    'node-key': { type: 'string' },
    'base-url': { type: 'string' },
    center: { type: 'string' },
    'secret-file': { type: 'string' },
    'secret-stdin': { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const [sub, nodeKey, ...extra] = positionals;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number]) || extra.length > 0) {
      io.err(`lx-annotate nodes: choose one of ${SUBCOMMANDS.join(', ')} (see lx-annotate nodes --help)\n`);
      return EXIT.usage;
    }
    if ((sub === 'set-secret' || sub === 'deactivate') && !nodeKey) {
      io.err(`lx-annotate nodes ${sub}: a node key is required\n`);
      return EXIT.usage;
    }
    if (sub === 'add' && (typeof values['display-name'] !== 'string' || typeof values.role !== 'string')) {
      io.err('lx-annotate nodes add: --display-name and --role are required\n');
      return EXIT.usage;
    }
    const secret = await readSecret(values);
    if (sub === 'set-secret' && secret === undefined) {
      io.err('lx-annotate nodes set-secret: give the secret with --secret-file or --secret-stdin\n');
      return EXIT.usage;
    }
    const runtime = compose(io.loadConfig(), { name: 'lx-annotate-nodes' });
    try {
      const status = await schemaStatus(runtime.db);
      if (status.pending.length > 0) {
        io.err('lx-annotate nodes: schema is not current; run lx-annotate migrate\n');
        return EXIT.failed;
      }
      const nodes = runtime.hub.nodes;
      switch (sub) {
        case 'add': {
          const node = await nodes.add(cliActor(), {
            displayName: values['display-name'] as string,
            role: values.role as string,
            nodeKey: values['node-key'] as string | undefined,
            baseUrl: (values['base-url'] as string | undefined) ?? '',
            centerKey: values.center as string | undefined,
            secret,
          });
          io.out(`added node "${node.nodeKey}" (${node.role}${node.owningCenterKey ? `, center ${node.owningCenterKey}` : ''}${node.hasSecret ? ', secret set' : ''})\n`);
          return EXIT.ok;
        }
        case 'list':
          for (const n of await nodes.list()) {
            io.out(`${n.nodeKey}\t${n.role}\t${n.isActive ? 'active' : 'inactive'}\tcenter=${n.owningCenterKey ?? '-'}\tsecret=${n.hasSecret ? 'set' : 'none'}\t${n.baseUrl || '-'}\n`);
          }
          return EXIT.ok;
        case 'set-secret':
          await nodes.setSecret(cliActor(), nodeKey as string, secret as string);
          io.out(`secret of "${nodeKey}" replaced\n`);
          return EXIT.ok;
        case 'deactivate':
          await nodes.deactivate(cliActor(), nodeKey as string);
          io.out(`node "${nodeKey}" deactivated\n`);
          return EXIT.ok;
        default:
          return EXIT.usage;
      }
    } catch (error) {
      if (error instanceof DomainError) {
        io.err(`lx-annotate nodes ${sub}: ${error.message}\n`);
        return EXIT.failed;
      }
      throw error;
    } finally {
      await runtime.close();
    }
  },
};
