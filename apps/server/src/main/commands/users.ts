import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { schemaStatus } from '../../db/index.js';
import { initialAdminPasswordFile, INITIAL_ADMIN_USERNAME } from '../../features/auth/index.js';
import { DomainError } from '../../shared/errors.js';
import { compose, type Runtime } from '../compose.js';
import { EXIT, type CliIo, type Command } from './command.js';

const SUBCOMMANDS = ['add', 'passwd', 'roles', 'centers', 'list', 'ensure-admin'] as const;

/** Who the audit ledger names for CLI changes: the operating-system account. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Reads a password piped on stdin (one line; the trailing newline is not part of it). */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const list = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];

async function schemaCurrent(runtime: Runtime, io: CliIo): Promise<boolean> {
  const status = await schemaStatus(runtime.db);
  if (status.pending.length === 0 && status.unknown.length === 0) return true;
  io.err(`lx-annotate users: schema is not current (pending ${status.pending.join(', ') || '-'}, unknown ${status.unknown.join(', ') || '-'}); run lx-annotate migrate\n`);
  return false;
}

function printOneTimePassword(io: CliIo, username: string, password: string): void {
  io.out(`one-time password for "${username}" (shown only now; it must be changed at the first sign-in):\n${password}\n`);
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'Local accounts: add, passwd, roles, centers, list, ensure-admin (first-run administrator)',
  usage: [
    'add <username> [--email E] [--display-name N] [--roles a,b] [--centers key1,key2] [--superuser] [--password-stdin]',
    '       lx-annotate users passwd <username> [--password-stdin]',
    '       lx-annotate users roles <username> --set a,b',
    '       lx-annotate users centers <username> --set key1,key2',
    '       lx-annotate users list',
    '       lx-annotate users ensure-admin [--password-file <file>]   (creates "admin" only when no user exists)',
    '',
    'Without --password-stdin a password is generated, printed once and must be changed at the first sign-in.',
  ].join('\n'),
  allowPositionals: true,
  options: {
    email: { type: 'string' },
    'display-name': { type: 'string' },
    roles: { type: 'string' },
    centers: { type: 'string' },
    superuser: { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
    set: { type: 'string' },
    'password-file': { type: 'string' },
  },
  async run({ values, positionals }, io) {
    const [sub, username, ...extra] = positionals;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number]) || extra.length > 0) {
      io.err(`lx-annotate users: choose one of ${SUBCOMMANDS.join(', ')} (see lx-annotate users --help)\n`);
      return EXIT.usage;
    }
    const needsName = sub !== 'list' && sub !== 'ensure-admin';
    if (needsName && !username) {
      io.err(`lx-annotate users ${sub}: a username is required\n`);
      return EXIT.usage;
    }
    if ((sub === 'roles' || sub === 'centers') && typeof values.set !== 'string') {
      io.err(`lx-annotate users ${sub}: --set a,b is required (an empty --set "" removes all)\n`);
      return EXIT.usage;
    }
    const password = values['password-stdin'] && (sub === 'add' || sub === 'passwd') ? await readPasswordFromStdin() : undefined;
    const config = io.loadConfig();
    const runtime = compose(config, { name: 'lx-annotate-users' });
    const users = runtime.auth.users;
    const by = cliActor();
    try {
      if (!(await schemaCurrent(runtime, io))) return EXIT.failed;
      switch (sub) {
        case 'add': {
          const { user, generatedPassword } = await users.create(
            {
              username: username as string,
              email: values.email as string | undefined,
              displayName: values['display-name'] as string | undefined,
              roles: list(values.roles),
              centerKeys: list(values.centers),
              superuser: values.superuser === true,
              password,
            },
            by,
          );
          io.out(`created local user "${user.username}" (id ${user.id})\n`);
          if (generatedPassword) printOneTimePassword(io, user.username, generatedPassword);
          return EXIT.ok;
        }
        case 'passwd': {
          const { generatedPassword } = await users.setPassword(username as string, password, by);
          io.out(`password of "${username}" set; its sessions were ended\n`);
          if (generatedPassword) printOneTimePassword(io, username as string, generatedPassword);
          return EXIT.ok;
        }
        case 'roles': {
          const { before, after } = await users.setRoles(username as string, list(values.set), by);
          io.out(`roles of "${username}": ${before.join(',') || '(none)'} -> ${after.join(',') || '(none)'}\n`);
          return EXIT.ok;
        }
        case 'centers': {
          const { before, after } = await users.setCenters(username as string, list(values.set), by);
          io.out(`centers of "${username}": ${before.join(',') || '(none)'} -> ${after.join(',') || '(none)'}\n`);
          return EXIT.ok;
        }
        case 'list': {
          for (const u of await users.list()) {
            const flags = [u.authSource, u.isSuperuser ? 'superuser' : '', u.isActive ? '' : 'inactive', u.mustChangePassword ? 'must-change-password' : ''].filter(Boolean).join(',');
            io.out(`${u.username}\t${flags}\troles=${u.roles.join(',') || '-'}\tcenters=${u.centerKeys.join(',') || '-'}\tlast_login=${u.lastLoginAt ?? '-'}\n`);
          }
          return EXIT.ok;
        }
        case 'ensure-admin': {
          const given = values['password-file'] as string | undefined;
          const file = given === undefined ? initialAdminPasswordFile(runtime.settings.paths.dataRoot) : isAbsolute(given) ? given : resolve(given);
          const { created } = await users.ensureInitialAdmin(file, by);
          io.out(
            created
              ? `created the local administrator "${INITIAL_ADMIN_USERNAME}"; its one-time password is in ${file} (mode 0600) and must be changed at the first sign-in\n`
              : 'accounts exist already; no initial administrator created\n',
          );
          return EXIT.ok;
        }
        default:
          return EXIT.usage;
      }
    } catch (error) {
      if (error instanceof DomainError) {
        io.err(`lx-annotate users ${sub}: ${error.message}\n`);
        return EXIT.failed;
      }
      throw error;
    } finally {
      await runtime.close();
    }
  },
};
