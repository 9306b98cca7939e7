import { schemaStatus } from '../../db/index.js';
import { compose } from '../compose.js';
import { EXIT, type Command } from './command.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Audit ledger: verify recomputes every hash link and checks the head',
  usage: 'verify [--json]',
  allowPositionals: true,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    if (positionals.length !== 1 || positionals[0] !== 'verify') {
      io.err('lx-annotate audit: the only subcommand is verify\n');
      return EXIT.usage;
    }
    const runtime = compose(io.loadConfig(), { name: 'lx-annotate-audit' });
    try {
      const status = await schemaStatus(runtime.db);
      if (status.applied.length === 0) {
        io.err('lx-annotate audit verify: the database has no schema yet; run lx-annotate migrate\n');
        return EXIT.failed;
      }
      const result = await runtime.audit.verify();
      if (values.json) io.out(`${JSON.stringify(result)}\n`);
      else if (result.ok) io.out(`audit ledger intact: ${result.entries} entries\n`);
      else io.out(`audit ledger BROKEN at sequence ${result.brokenAt} (${result.entries} entries before it verify)\n`);
      return result.ok ? EXIT.ok : EXIT.failed;
    } finally {
      await runtime.close();
    }
  },
};
