/**
 * Module boundaries (design.md §1). Feature levels, lowest first; a feature may
 * import features of its own or a lower level, and only through their index.ts.
 */
const LEVELS = [
  ['audit', 'auth', 'centers', 'knowledge-base'],
  ['media'],
  ['cases', 'segments', 'frame-labels'],
  ['anonymization'],
  ['ingest', 'reports'],
  ['training-export', 'hub', 'admin'],
];
const F = 'apps/server/src/features';
const higherThan = (level) => LEVELS.slice(level + 1).flat();

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'feature-through-index',
      comment: 'Features import each other only through index.ts.',
      severity: 'error',
      from: { path: `^${F}/([^/]+)/` },
      to: { path: `^${F}/([^/]+)/(?!index\\.ts$)`, pathNot: `^${F}/$1/` },
    },
    ...LEVELS.flatMap((names, level) =>
      higherThan(level).length === 0
        ? []
        : [
            {
              name: `level-${level}-not-upward`,
              comment: `${names.join(', ')} must not import higher-level features.`,
              severity: 'error',
              from: { path: `^${F}/(${names.join('|')})/` },
              to: { path: `^${F}/(${higherThan(level).join('|')})/` },
            },
          ],
    ),
    {
      name: 'adapters-know-no-feature',
      severity: 'error',
      from: { path: '^apps/server/src/adapters/' },
      to: { path: `^(${F}|apps/server/src/main|apps/server/src/http)/` },
    },
    {
      name: 'config-is-a-leaf',
      severity: 'error',
      from: { path: '^apps/server/src/config/' },
      to: { path: '^apps/server/src/(?!config/|shared/)' },
    },
    {
      name: 'db-below-features',
      severity: 'error',
      from: { path: '^apps/server/src/(db|log|shared)/' },
      to: { path: '^apps/server/src/(features|main|http|adapters|jobs)/' },
    },
    {
      name: 'jobs-know-no-feature',
      comment: 'Features register job definitions; the registry is wired in main, so jobs/ imports no feature.',
      severity: 'error',
      from: { path: '^apps/server/src/jobs/' },
      to: { path: `^${F}/` },
    },
    {
      name: 'only-main-composes',
      comment: 'Nothing imports the composition root (tests and benchmarks may, to build the real app).',
      severity: 'error',
      from: { pathNot: ['^apps/server/src/main/', '\\.test\\.ts$', '^apps/server/test/', '^bench/', '^e2e/'] },
      to: { path: '^apps/server/src/main/' },
    },
    {
      name: 'contracts-stand-alone',
      severity: 'error',
      from: { path: '^packages/contracts/' },
      to: { path: '^apps/' },
    },
    {
      name: 'web-not-server',
      severity: 'error',
      from: { path: '^apps/web/' },
      to: { path: '^apps/server/' },
    },
    {
      name: 'web-ui-knows-no-feature',
      comment: 'design.md §5.11: Base* components in ui/ know no store, feature or app wiring.',
      severity: 'error',
      from: { path: '^apps/web/src/ui/' },
      to: { path: '^apps/web/src/(features|app)/' },
    },
    {
      name: 'web-components-not-http',
      comment: 'design.md §5.11: components never call the HTTP client; stores and *.api.ts do.',
      severity: 'error',
      from: { path: '^apps/web/src/.*\\.vue$' },
      to: { path: '^apps/web/src/shared/http\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|dist|testdata)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['development', 'import', 'types', 'default'] },
  },
};
