import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEPLOY_DIR } from '../../../../deploy/test/nginx.js';
import { QUEUE_VARIABLES } from '../../src/config/index.js';
import { runCliProcess } from '../helpers/processes.js';

const has = (tool: string): boolean => spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
const SCRIPTS = ['deploy.sh', 'acceptance-smoke.sh', 'bootstrap-host.sh', 'lx-annotate.sh', 'lib/common.sh'];
const UNITS = ['lx-annotate.service', 'lx-annotate-watcher.service', 'lx-annotate-worker@.service', 'lx-annotate-sap-import.path', 'lx-annotate-sap-import.service', 'lx-annotate-data-recovery.service'];

describe('deploy/ files', () => {
  test('deploy/.env.systemd.example is exactly what `lx-annotate config --example` prints', () => {
    const r = runCliProcess(['config', '--example'], {});
    assert.equal(r.status, 0, r.stderr);
    const committed = readFileSync(join(DEPLOY_DIR, '.env.systemd.example'), 'utf8');
    assert.equal(committed, r.stdout, 'regenerate it: npx lx-annotate config --example > deploy/.env.systemd.example');
  });

  test('systemd-analyze verify accepts every unit (template checked through an escaped queue-group instance)', { skip: has('systemd-analyze') ? false : 'systemd-analyze is not installed (package systemd); unit syntax not verified here' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'lx-units-'));
    for (const unit of UNITS) writeFileSync(join(dir, unit), readFileSync(join(DEPLOY_DIR, unit)));
    for (const unit of UNITS) {
      const name = unit === 'lx-annotate-worker@.service' ? 'lx-annotate-worker@default\\x2cpipeline.service' : unit;
      const r = spawnSync('systemd-analyze', ['verify', join(dir, name)], { encoding: 'utf8' });
      // verify exits 0 on mere warnings ("Unknown key ..., ignoring"), so any output about our files fails too.
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(dir) || l.includes('lx-annotate'));
      assert.equal(r.status, 0, `${unit}: ${r.stderr}`);
      assert.deepEqual(ours, [], `${unit}:\n${ours.join('\n')}`);
    }
  });

  test('units carry the hardening and the original defaults', () => {
    for (const unit of UNITS.filter((u) => u.endsWith('.service'))) {
      const text = readFileSync(join(DEPLOY_DIR, unit), 'utf8');
      for (const line of ['NoNewPrivileges=yes', 'PrivateTmp=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/lx-annotate', 'User=lx-annotate', 'EnvironmentFile=/var/lib/lx-annotate/.env.systemd']) {
        assert.ok(text.includes(`\n${line}\n`), `${unit} lacks ${line}`);
      }
      assert.match(text, /^ExecStart=\/usr\/bin\/node \/home\/lx-annotate\/lx-annotate-wheel\/current\/apps\/server\/bin\/lx-annotate\.js \S/m, unit);
    }
    for (const unit of ['lx-annotate.service', 'lx-annotate-watcher.service', 'lx-annotate-worker@.service']) {
      const text = readFileSync(join(DEPLOY_DIR, unit), 'utf8');
      assert.match(text, /^Restart=on-failure$/m);
      assert.match(text, /^StartLimitBurst=\d+$/m);
    }
    const watcher = readFileSync(join(DEPLOY_DIR, 'lx-annotate-watcher.service'), 'utf8');
    assert.match(watcher, /^MemoryMax=/m, 'the watcher has its own memory ceiling');
    const worker = readFileSync(join(DEPLOY_DIR, 'lx-annotate-worker@.service'), 'utf8');
    assert.match(worker, /^Environment=LX_ANNOTATE_WORKER_QUEUES=%I$/m, 'the instance name is the queue list by default');
    assert.match(worker, /worker --queues \$\{LX_ANNOTATE_WORKER_QUEUES\} --concurrency \$\{LX_ANNOTATE_WORKER_CONCURRENCY\}$/m);
  });

  test('the example worker groups name only queues the system has', () => {
    const known = new Set(Object.keys(QUEUE_VARIABLES));
    const dir = join(DEPLOY_DIR, 'worker-groups');
    const groups = readdirSync(dir);
    assert.ok(groups.length >= 4);
    for (const file of groups) {
      const queues = /^LX_ANNOTATE_WORKER_QUEUES=(.+)$/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1]?.split(',') ?? [];
      assert.ok(queues.length > 0, file);
      for (const queue of queues) assert.ok(known.has(queue), `${file}: unknown queue ${queue}`);
    }
  });

  test('scripts: bash syntax, strict mode, never shell tracing; shellcheck-clean where shellcheck exists', () => {
    for (const script of SCRIPTS) {
      const path = join(DEPLOY_DIR, script);
      assert.equal(spawnSync('bash', ['-n', path]).status, 0, `${script} has a syntax error`);
      const text = readFileSync(path, 'utf8');
      assert.equal(/^\s*set\s+(-[a-z]*x|-o\s+xtrace)/m.test(text) || /\bbash\s+-x\b/.test(text), false, `${script} enables shell tracing`);
      if (!script.startsWith('lib/')) assert.match(text, /^set -euo pipefail$/m, script);
    }
    if (!has('shellcheck')) return;
    const r = spawnSync('shellcheck', ['-x', ...SCRIPTS], { cwd: DEPLOY_DIR, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
  });
});
