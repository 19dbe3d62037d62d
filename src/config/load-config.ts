import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { BotError } from '../shared/errors.js';
import { applyClusterDefaults, readCustomerSources, type RawCustomers } from './fleet-customers.js';
import { configSchema, type Config } from './schema.js';

type Env = Record<string, string | undefined>;

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in every string; collects the names of unset variables. */
export function expandEnv(value: unknown, env: Env, path: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      missing.push(`${path}: environment variable ${name} is not set (e.g. export ${name}=...)`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, path ? `${path}.${k}` : k, missing)]),
    );
  }
  return value;
}

const EXAMPLES: Record<string, string> = {
  customers: 'customers: [{ name: rentokil, profile: us-east-1, postgres: { url: ${RENTOKIL_PG_URL} } }]',
  postgres: 'postgres: { url: ${RENTOKIL_PG_URL} }  or  postgres: { command: "cresta-cli connstring -i --read-only {cluster} {cluster} {name}-{profile}" }',
  clickhouse: 'clickhouse: { url: ${CLICKHOUSE_URL}, database: conversations, table: scorecard_scores }',
};

function formatIssue(issue: z.core.$ZodIssue, origins: readonly string[] = []): string {
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  const head = [...issue.path].reverse().find((p) => typeof p === 'string');
  const example = typeof head === 'string' && EXAMPLES[head] ? `  (example: ${EXAMPLES[head]})` : '';
  let message = issue.message;
  // A discriminated union (changes[].type) and redis.cluster.nodes carry their own message; the plain union is a connection.
  if (issue.code === 'invalid_union' && !('discriminator' in issue) && issue.message === 'Invalid input') message = 'must be either { url: ... } or { command: ... }';
  if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
  // A customer read from customersFrom: say which file (or command) it came from.
  const origin = issue.path[0] === 'customers' && typeof issue.path[1] === 'number' ? origins[issue.path[1]] : undefined;
  const from = origin && origin !== CONFIG_FILE ? ` (from ${origin})` : '';
  return `  - ${path || '(top level)'}: ${message}${from}${example}`;
}

/** Env overrides for the Slack settings, so a deployment can keep tokens out of the file entirely. */
function applyEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const slackEnv = {
    botToken: env.SLACK_BOT_TOKEN,
    appToken: env.SLACK_APP_TOKEN,
    signingSecret: env.SLACK_SIGNING_SECRET,
    apiUrl: env.SLACK_API_URL,
    mode: env.SLACK_MODE,
    port: env.PORT ? Number(env.PORT) : undefined,
  };
  const given = Object.fromEntries(Object.entries(slackEnv).filter(([, v]) => v !== undefined && v !== ''));
  if (Object.keys(given).length === 0) return raw;
  const slack = (raw.slack && typeof raw.slack === 'object' ? raw.slack : {}) as Record<string, unknown>;
  return { ...raw, slack: { ...slack, ...given } };
}

const CONFIG_FILE = 'the config file';

/** One line per name given more than once, with every origin of it. */
function duplicateNames(customers: readonly unknown[], origins: readonly string[]): string[] {
  const where = new Map<string, string[]>();
  customers.forEach((c, i) => {
    const name = c && typeof c === 'object' ? (c as { name?: unknown }).name : undefined;
    if (typeof name !== 'string') return;
    where.set(name, [...(where.get(name) ?? []), origins[i] ?? CONFIG_FILE]);
  });
  const places = (list: string[]): string =>
    [...new Set(list)].map((o) => {
      const n = list.filter((x) => x === o).length;
      return n > 1 ? `${o}, ${n} times` : o;
    }).join('; ');
  return [...where.entries()].filter(([, list]) => list.length > 1).map(([name, list]) => `  - customers: duplicate name "${name}" (${places(list)})`);
}

/** A config and where each of its customers came from (the config file, a customersFrom file or command). */
export interface LoadedConfig {
  config: Config;
  origins: string[];
}

function readDocument(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `  - ${e.message.split('\n')[0]}`);
    throw new BotError('BAD_CONFIG', `${source} is not valid YAML:\n${lines.join('\n')}`);
  }
  const js = doc.toJS() as unknown;
  return js && typeof js === 'object' ? (js as Record<string, unknown>) : {};
}

/** Env expansion, the customers from customersFrom (already read), cluster defaults, then one validation. */
function finishConfig(raw: Record<string, unknown>, env: Env, source: string, from: RawCustomers | null): LoadedConfig {
  const missing: string[] = [];
  const inline = Array.isArray(raw.customers) ? raw.customers : raw.customers === undefined ? [] : null;
  const extra = from?.customers ?? [];
  const problems0: string[] = [];
  if (raw.customersFrom !== undefined && from === null) {
    problems0.push('  - customersFrom: customers are read from files or a command only when the config is a file (pass --config FILE)');
  }
  const merged = inline === null ? raw.customers : [...inline, ...extra];
  const origins = [...(inline ?? []).map(() => CONFIG_FILE), ...(from?.origins ?? [])];
  const expanded = expandEnv({ ...raw, customers: merged }, env, '', missing) as Record<string, unknown>;
  const withDefaults = Array.isArray(expanded.customers) ? { ...expanded, customers: applyClusterDefaults(expanded.customers, expanded.clusters) } : expanded;
  const withEnv = applyEnvOverrides(withDefaults, env);
  const parsed = configSchema.safeParse(withEnv);
  const duplicates = duplicateNames(Array.isArray(merged) ? merged : [], origins);
  // The schema flags the second of a pair by index; the line above names every place each name comes from.
  const schemaIssues = parsed.success ? [] : parsed.error.issues.filter((i) => !(duplicates.length > 0 && i.message.startsWith('duplicate name')));
  const problems = [...problems0, ...duplicates, ...missing.map((m) => `  - ${m}`), ...schemaIssues.map((i) => formatIssue(i, origins))];
  if (problems.length > 0 || !parsed.success) {
    throw new BotError('BAD_CONFIG', `${source} has ${problems.length} problem(s):\n${problems.join('\n')}`);
  }
  return { config: parsed.data, origins };
}

/** Parses config text; throws one BotError that lists every problem at once. customersFrom needs loadConfig. */
export function parseConfig(text: string, env: Env, source = 'config'): Config {
  return finishConfig(readDocument(text, source), env, source, null).config;
}

async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new BotError('BAD_CONFIG', `Cannot read the config file ${path}: pass --config FILE or set SCORECARD_BOT_CONFIG.`, {
      cause,
    });
  }
}

/** The config file, with the customers its customersFrom names (files relative to it, or a command). */
export async function loadConfigWithOrigins(path: string, env: Env = process.env): Promise<LoadedConfig> {
  const raw = readDocument(await readConfigFile(path), path);
  const from = raw.customersFrom === undefined ? null : await readCustomerSources(raw.customersFrom, dirname(path), env);
  return finishConfig(raw, env, path, from ?? (raw.customersFrom === undefined ? null : { customers: [], origins: [] }));
}

export async function loadConfig(path: string, env: Env = process.env): Promise<Config> {
  return (await loadConfigWithOrigins(path, env)).config;
}
