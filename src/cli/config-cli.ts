import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseCliArgs } from './args.js';
import { clickhouseUses } from '../config/clickhouse-of.js';
import { loadConfigWithOrigins } from '../config/load-config.js';
import { BotError } from '../shared/errors.js';
import { maskDeep } from '../shared/mask.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import { CustomerSources } from '../sources/customer-sources.js';
import { CONTRACT_TABLES, describeProbe, probeAll } from '../sources/privilege-probe.js';
import { configSchema, type Config } from '../config/schema.js';
import { gapReportSchema } from '../gap/core/report.js';
import { checkResultSchema } from '../check/check-result.js';
import type { CliIo } from './cli-io.js';
import { unownedCustomers, unownedLine } from '../watch/owners.js';

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input' });
}

/** The `gap --json` and `check --json` contracts, published beside the config's. */
export function reportJsonSchemas(): { gapReport: unknown; checkResult: unknown } {
  return { gapReport: z.toJSONSchema(gapReportSchema, { io: 'output' }), checkResult: z.toJSONSchema(checkResultSchema, { io: 'output' }) };
}

/** `config:check` validates and prints the effective config with secrets masked; `config:schema` writes the JSON Schema. */
/** "300 customers: 4 in the config file, 296 from customers/*.yml" */
export function customerCountLine(origins: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const o of origins) counts.set(o, (counts.get(o) ?? 0) + 1);
  const files = [...counts.keys()].filter((o) => o !== 'the config file' && !o.startsWith('the customers command'));
  const parts: string[] = [];
  if (counts.has('the config file')) parts.push(`${counts.get('the config file')} in the config file`);
  if (files.length > 0) parts.push(`${files.reduce((s, f) => s + (counts.get(f) ?? 0), 0)} from ${files.length} file${files.length === 1 ? '' : 's'}`);
  for (const [o, n] of counts) if (o.startsWith('the customers command')) parts.push(`${n} from ${o}`);
  return `${origins.length} customer${origins.length === 1 ? '' : 's'}: ${parts.join(', ')}; no duplicate names`;
}

const customers = (n: number): string => `${n} customer${n === 1 ? '' : 's'}`;

/** A server as scheme://host:port/path: never its credentials or query (a password may sit in either). */
function serverOfUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** "2 ClickHouse servers: http://ch-eu:8123 (conversations.scorecard_scores: 200 customers); ...", without secrets. */
export function clickhouseCountLine(config: Pick<Config, 'customers' | 'clusters' | 'clickhouse'>): string {
  const { uses, without } = clickhouseUses(config);
  if (uses.length === 0) return 'no ClickHouse configured: only historic is compared';
  const servers = new Map<string, string[]>();
  for (const u of uses) {
    const url = serverOfUrl(u.url);
    servers.set(url, [...(servers.get(url) ?? []), `${u.table}: ${customers(u.customers.length)}`]);
  }
  const list = [...servers].map(([url, tables]) => `${url} (${tables.join(', ')})`).join('; ');
  const none = without.length > 0 ? `; ${customers(without.length)} without one (only historic is compared for them)` : '';
  return `${servers.size} ClickHouse server${servers.size === 1 ? '' : 's'}: ${list}${none}`;
}

export async function configCommand(sub: 'check' | 'schema', argv: string[], io: Pick<CliIo, 'stdout' | 'env'> & Partial<Pick<CliIo, 'stderr'>>): Promise<number> {
  const { values } = parseCliArgs(
    argv,
    { config: { type: 'string' }, out: { type: 'string' }, probe: { type: 'boolean' } },
    sub === 'check' ? 'scorecard-bot config:check [--config FILE] [--probe]' : 'scorecard-bot config:schema [--out FILE|docs]',
  );
  if (sub === 'schema') {
    if (values.out === 'docs') {
      const { gapReport, checkResult } = reportJsonSchemas();
      await writeFile('config/config.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n');
      await writeFile('docs/gap-report.schema.json', JSON.stringify(gapReport, null, 2) + '\n');
      await writeFile('docs/check-result.schema.json', JSON.stringify(checkResult, null, 2) + '\n');
      io.stdout.write('wrote config/config.schema.json, docs/gap-report.schema.json, docs/check-result.schema.json\n');
      return 0;
    }
    const text = JSON.stringify(configJsonSchema(), null, 2) + '\n';
    if (values.out) await writeFile(values.out, text);
    else io.stdout.write(text);
    return 0;
  }
  const path = values.config ?? io.env.SCORECARD_BOT_CONFIG;
  if (!path) throw new BotError('BAD_CONFIG', 'No config file given.', { hint: 'Pass --config FILE or set SCORECARD_BOT_CONFIG (config/demo.yml runs against the demo data).' });
  const { config, origins } = await loadConfigWithOrigins(path, io.env);
  io.stdout.write(JSON.stringify(maskDeep(config), null, 2) + '\n');
  // The JSON on stdout stays parseable; the count goes beside it.
  const unowned = unownedLine(unownedCustomers(config));
  io.stderr?.write(`${customerCountLine(origins)}\n${clickhouseCountLine(config)}\n${unowned ? `${unowned}\n` : ''}`);
  if (!values.probe) return 0;
  // --probe: connect with each customer's read credentials and check they cannot write the contract tables.
  const sources = new CustomerSources(config, new ConnectionUrlResolver());
  try {
    const results = await probeAll(sources);
    io.stdout.write(`\nread-only check (${CONTRACT_TABLES.join(', ')}):\n`);
    for (const r of results) io.stdout.write(`  ${describeProbe(r)}\n`);
    return results.some((r) => r.status === 'can-write') ? 1 : 0;
  } finally {
    await sources.close();
  }
}
