// The shape of src/, checked by `npm run arch` and by test/unit/architecture.test.ts:
//   shared, period            generic helpers (formatting, errors, masking, periods)
//   config                    the config's schema and loader
//   sources ops observability slack changes   the edges every capability uses; slack is a generic adapter
//   platform                  the connections and clients serve and worker share, built once
//   gap, check                capabilities; backfill and watch above them (they start gap runs, plan from both)
//   cli, main.ts, cli.ts      entry points: CLI shells and the composition root
// A folder imports only folders below it, nothing imports an entry point, and dev/ (demo data, console, db:init)
// never ships: src/ does not import it.
const LOWER_THAN = (from, forbidden, comment) => ({
  name: `layer-${from.replace(/[^a-z]/g, '')}`,
  comment,
  severity: 'error',
  from: { path: `^src/(${from})/` },
  to: { path: `^src/(${forbidden})(/|\\.ts$)` },
});
const CAPABILITIES = 'gap|check|backfill|watch';
// The functional core of each capability: parsing, SQL text, analysis, plans and views, plain data in and out.
const PURE = [
  'src/gap/(core|views)/',
  'src/gap/what-changed/(change-lines|timeline|render-slack|render-terminal)\\.ts$',
  'src/check/(check-blocks|check-queries|check-result|render-check-text|scorecard-id|verdict)\\.ts$',
  'src/backfill/(audit-chain|backfill-blocks|chunking|decide|mapping|plan-hash|render-plan|render-request|scope|status)\\.ts$',
  'src/watch/(alert-blocks|alert-rules|fingerprint|home-view|lookback|staleness|health-messages|oncall-blocks|owners|recent-blocks|spread|silences|silence-input|silence-blocks|digest-blocks)\.ts$',
  'src/changes/(correlate|event|provided-events|source)\\.ts$',
].map((p) => `^${p}`);
const IO_PACKAGES = '(^|/)node_modules/(pg|pg-query-stream|bullmq|ioredis|@slack/bolt|@slack/web-api|@clickhouse/client|node-pg-migrate|prom-client)/';
const ENTRY = 'cli|main|cli';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Files that import each other (type-only imports count: cut them with a types module).', from: { path: '^src/' }, to: { circular: true } },
    { name: 'no-dev-in-product', severity: 'error', comment: 'dev/ (demo data, console, db:init) runs through tsx only and never ships.', from: { path: '^src/' }, to: { path: '^(dev|test|bench)/' } },
    {
      name: 'pure-core',
      severity: 'error',
      comment: 'A core or view file reaches no database, queue, Slack or file: those sit at the edges and are passed in (types are fine).',
      from: { path: PURE },
      to: { path: IO_PACKAGES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'pure-core-no-builtin-io',
      severity: 'error',
      from: { path: PURE },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|child_process|net|http|https|os)$' },
    },
    LOWER_THAN('shared|period', `config|sources|ops|observability|slack|changes|platform|${CAPABILITIES}|${ENTRY}`, 'Generic helpers know nothing above them.'),
    LOWER_THAN('config', `sources|ops|observability|slack|changes|platform|${CAPABILITIES}|${ENTRY}`, 'The config schema is read by everything and reads nothing but helpers.'),
    LOWER_THAN('sources|ops|observability|slack|changes', `platform|${CAPABILITIES}|${ENTRY}`, 'Edges and the Slack adapter are generic: capabilities register into them, never the other way round.'),
    LOWER_THAN('platform', `${CAPABILITIES}|${ENTRY}`, 'The platform builds shared clients; each capability wires itself onto it.'),
    LOWER_THAN('gap', `check|backfill|watch|${ENTRY}`, 'The gap investigation is the base capability.'),
    LOWER_THAN('check', `backfill|watch|${ENTRY}`, 'The check stands beside gap; backfill plans from both.'),
    LOWER_THAN('backfill|watch', ENTRY, 'Capabilities never import an entry point.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
