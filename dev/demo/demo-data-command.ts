import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import pg from 'pg';
import { z } from 'zod';
import { BotError } from '../../src/shared/errors.js';
import { maskSecrets } from '../../src/shared/mask.js';
import { groundTruth } from './ground-truth.js';
import { CUSTOMERS, DATA_FROM, DATA_TO } from './incident-profile.js';
import { DemoDataExistsError, loadDemoData, tierCounts } from './load.js';
import { CONTRACT_TABLES } from './load-sql.js';
import { buildPlan, validatePlanOptions } from './plan.js';

// `scorecard-bot demo-data`: parse, check the contract tables exist, load, write the ground truth. Creating the
// tables is db:init's job, not this command's.

export const DEMO_DATA_USAGE = `scorecard-bot demo-data --database-url URL [--clickhouse-url URL] [--scale 0.01] [--submitted-scale S] [--seed 42] [--if-absent]
    [--customers rentokil,spirit,guitar-center,nclh] [--from ${DATA_FROM}] [--to ${DATA_TO}] [--replace]
    [--clickhouse-database conversations] [--clickhouse-table scorecard_scores] [--ground-truth FILE]`;

export interface DemoDataDeps {
  /** Progress and diagnostics (stderr). */
  log: (line: string) => void;
  /** The result summary. */
  stdout: { write(text: string): unknown };
  cwd?: string;
}

const FLAGS = {
  'database-url': 'string',
  'clickhouse-url': 'string',
  'clickhouse-database': 'string',
  'clickhouse-table': 'string',
  scale: 'string',
  'submitted-scale': 'string',
  seed: 'string',
  'if-absent': 'boolean',
  customers: 'string',
  from: 'string',
  to: 'string',
  'ground-truth': 'string',
  replace: 'boolean',
} as const;
type Flag = keyof typeof FLAGS;

const identifier = (flag: string, example: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, `${flag} must be a ClickHouse identifier, e.g. ${flag} ${example}`);
const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
const date = (flag: string, example: string) =>
  z.string().refine((s) => { try { return isDay(s); } catch { return false; } }, `${flag} must be a date YYYY-MM-DD, e.g. ${flag} ${example}`).optional();

export const demoDataArgsSchema = z.object({
  'database-url': z
    .string({ error: '--database-url is required, e.g. --database-url postgres://postgres@127.0.0.1:5432/scorecards' })
    .regex(/^postgres(ql)?:\/\//, '--database-url must be a postgres:// URL, e.g. --database-url postgres://postgres@127.0.0.1:5432/scorecards'),
  'clickhouse-url': z.string().regex(/^https?:\/\//, '--clickhouse-url must be an http(s):// URL, e.g. --clickhouse-url http://127.0.0.1:8123').optional(),
  'clickhouse-database': identifier('--clickhouse-database', 'conversations').default('conversations'),
  'clickhouse-table': identifier('--clickhouse-table', 'scorecard_scores').default('scorecard_scores'),
  scale: z.coerce.number({ error: '--scale must be a number in (0, 1], e.g. --scale 0.01' })
    .gt(0, '--scale must be in (0, 1], e.g. --scale 0.01')
    .lte(1, '--scale must be in (0, 1] (1 = the report\'s volumes), e.g. --scale 1')
    .default(0.01),
  'submitted-scale': z.coerce.number({ error: '--submitted-scale must be a number in (0, 1], e.g. --submitted-scale 1' })
    .gt(0, '--submitted-scale must be in (0, 1], e.g. --submitted-scale 1')
    .lte(1, '--submitted-scale must be in (0, 1], e.g. --submitted-scale 1')
    .optional(),
  'if-absent': z.boolean().default(false),
  seed: z.coerce.number({ error: '--seed must be an integer, e.g. --seed 42' })
    .int('--seed must be an integer, e.g. --seed 42')
    .min(0, '--seed must be >= 0, e.g. --seed 42')
    .max(0xffffffff, '--seed must be < 2^32, e.g. --seed 42')
    .default(42),
  customers: z
    .string()
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(z.enum(CUSTOMERS, { error: `--customers takes a comma list of ${CUSTOMERS.join(', ')}, e.g. --customers spirit,nclh` })).min(1, '--customers needs at least one customer, e.g. --customers spirit'))
    .optional(),
  from: date('--from', '2026-01-01'),
  to: date('--to', '2026-02-01'),
  'ground-truth': z.string().min(1).optional(),
  replace: z.boolean().default(false),
});
export type DemoDataArgs = z.infer<typeof demoDataArgsSchema>;

/** Returns the parsed arguments or every problem found (unknown flags, missing values, bad values). */
export function parseDemoDataArgs(argv: string[]): { ok: true; args: DemoDataArgs } | { ok: false; problems: string[] } {
  const raw: Partial<Record<Flag, string | boolean>> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(token);
    if (!m) {
      problems.push(`unexpected argument "${token}" (every option is a --flag, e.g. --scale 0.01)`);
      continue;
    }
    const name = m[1] as Flag;
    if (!(name in FLAGS)) {
      problems.push(`unknown option --${m[1]} (known: ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')})`);
      if (m[2] === undefined && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--')) i++; // its value
      continue;
    }
    if (FLAGS[name] === 'boolean') {
      raw[name] = m[2] === undefined ? true : m[2] !== 'false';
      continue;
    }
    const value = m[2] ?? argv[i + 1];
    if (m[2] === undefined) i++;
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) {
      problems.push(`--${name} needs a value, e.g. --${name} ${name === 'scale' ? '0.01' : name === 'seed' ? '42' : '...'}`);
      if (m[2] === undefined && value !== undefined) i--;
      continue;
    }
    raw[name] = value;
  }
  const parsed = demoDataArgsSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
  if (parsed.success && problems.length === 0) {
    const a = parsed.data;
    const planProblems = validatePlanOptions({ seed: a.seed, scale: a.scale, from: a.from, to: a.to, ...(a.customers ? { customers: a.customers } : {}) });
    problems.push(...planProblems.map((p) => (p.startsWith('the dataset') || p.startsWith('from') ? `--from/--to: ${p}, e.g. --from 2026-01-01 --to 2026-02-01` : p)));
    if (problems.length === 0) return { ok: true, args: a };
  }
  return { ok: false, problems: [...new Set(problems)] };
}

export function defaultGroundTruthPath(cwd: string, a: Pick<DemoDataArgs, 'seed' | 'scale' | 'customers' | 'from' | 'to'>): string {
  // A subset gets its own file, so it never overwrites the full dataset's ground truth.
  const subset = a.customers || a.from || a.to ? `-${(a.customers ?? ['all']).join('+')}-${a.from ?? DATA_FROM}..${a.to ?? DATA_TO}` : '';
  return path.join(cwd, '.cache', 'demo', `ground-truth-${a.seed}-${a.scale}${subset}.json`);
}

async function missingTables(db: pg.Pool, ch: ClickHouseClient | null, chDb: string, chTable: string): Promise<string[]> {
  const missing: string[] = [];
  const { rows } = await db.query<{ name: string; found: string | null }>(
    'SELECT name, to_regclass(name)::text AS found FROM unnest($1::text[]) AS t(name)',
    [CONTRACT_TABLES],
  );
  for (const r of rows) if (!r.found) missing.push(r.name);
  if (ch) {
    const rs = await ch.query({ query: 'EXISTS TABLE {db:Identifier}.{table:Identifier}', query_params: { db: chDb, table: chTable }, format: 'JSONEachRow' });
    const [row] = (await rs.json()) as { result: number | string }[];
    if (Number(row?.result ?? 0) !== 1) missing.push(`ClickHouse ${chDb}.${chTable}`);
  }
  return missing;
}

export async function runDemoData(argv: string[], deps: DemoDataDeps): Promise<number> {
  const parsed = parseDemoDataArgs(argv);
  if (!parsed.ok) {
    deps.log(`demo-data: invalid arguments:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}\nusage: ${DEMO_DATA_USAGE}`);
    return 2;
  }
  const a = parsed.args;
  const pool = new pg.Pool({ connectionString: a['database-url'], max: 3 });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing the process
  const ch = a['clickhouse-url']
    ? createClient({
        url: a['clickhouse-url'],
        // ALTER ... DELETE (--replace) waits for its mutation; progress headers keep the long request alive.
        request_timeout: 600_000,
        clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
      })
    : null;
  try {
    const missing = await missingTables(pool, ch, a['clickhouse-database'], a['clickhouse-table']).catch((cause: unknown) => {
      throw new BotError('SOURCE_UNAVAILABLE', `Cannot reach ${maskSecrets(a['database-url'])}${ch ? ` or ${maskSecrets(a['clickhouse-url'] ?? '')}` : ''}.`, { cause });
    });
    if (missing.length > 0) {
      deps.log(`demo-data: missing tables: ${missing.join(', ')}; run npm run db:init first`);
      return 1;
    }
    if (!ch) deps.log('demo-data: no --clickhouse-url: ClickHouse is not loaded (the ground truth still describes it)');
    const started = Date.now();
    const plan = buildPlan({ seed: a.seed, scale: a.scale, submittedScale: a['submitted-scale'], from: a.from, to: a.to, ...(a.customers ? { customers: a.customers } : {}) });
    const truth = groundTruth(plan, ch ? { database: a['clickhouse-database'], table: a['clickhouse-table'] } : null);
    const cwd = deps.cwd ?? process.cwd();
    const truthPath = path.resolve(cwd, a['ground-truth'] ?? defaultGroundTruthPath(cwd, a));
    const others = truth.rows.scores + truth.rows.historic + truth.rows.chats + (ch ? truth.rows.clickhouse : 0);
    deps.log(`demo-data: planned ${plan.customers.join(', ')} ${plan.from}..${plan.to} at scale ${a.scale} (seed ${a.seed}): ` +
      `${truth.rows.scorecards.toLocaleString('en-US')} scorecards and ${others.toLocaleString('en-US')} other rows in ${Date.now() - started} ms`);
    const target = { pg: pool, clickhouse: ch, clickhouseDatabase: a['clickhouse-database'], clickhouseTable: a['clickhouse-table'] };
    let replace = a.replace;
    if (a['if-absent'] && !a.replace) {
      // Reuse only what matches the ground truth in every tier: an empty ClickHouse beside a loaded PostgreSQL (a
      // new ClickHouse data folder) or a repaired historic would give wrong numbers without a word.
      const have = await tierCounts(plan, target);
      const want = { scorecards: truth.rows.scorecards, scores: truth.rows.scores, historic: truth.rows.historic, clickhouse: ch ? truth.rows.clickhouse : 0 };
      const differ = (Object.keys(want) as (keyof typeof want)[]).filter((k) => have[k] !== want[k]);
      if (have.scorecards > 0 || have.clickhouse > 0) {
        if (differ.length === 0) {
          deps.log('demo-data: the demo data is already loaded and every tier matches the ground truth; reusing it (--replace reloads it)');
          await mkdir(path.dirname(truthPath), { recursive: true });
          await writeFile(truthPath, JSON.stringify(truth, null, 1) + '\n');
          return 0;
        }
        const fmtN = (n: number): string => n.toLocaleString('en-US');
        deps.log(`demo-data: reloading: ${differ.map((k) => `${k === 'clickhouse' ? 'ClickHouse' : k} holds ${fmtN(have[k])} rows, the ground truth says ${fmtN(want[k])}`).join('; ')}`);
        replace = true;
      }
    }
    const result = await loadDemoData(plan, { ...target, replace, onProgress: deps.log });
    await mkdir(path.dirname(truthPath), { recursive: true });
    await writeFile(truthPath, JSON.stringify(truth, null, 1) + '\n');
    deps.stdout.write(
      `loaded ${result.scorecards.toLocaleString('en-US')} scorecards, ${result.scores.toLocaleString('en-US')} scores, ` +
        `${result.historic.toLocaleString('en-US')} historic rows, ${result.chats.toLocaleString('en-US')} chats` +
        (ch ? `, ${result.clickhouse.toLocaleString('en-US')} ClickHouse rows` : '') +
        ` in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.rowsPerSecond.toLocaleString('en-US')} rows/s)\nground truth: ${truthPath}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof DemoDataExistsError) {
      // --if-absent: data already there is success (the demo reuses what an earlier run loaded).
      deps.log(a['if-absent'] ? 'demo-data: the demo data is already loaded; reusing it (--replace reloads it)' : `demo-data: ${error.message}`);
      return a['if-absent'] ? 0 : 1;
    }
    throw error;
  } finally {
    await pool.end().catch(() => undefined);
    await ch?.close();
  }
}
