import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { BotError } from '../shared/errors.js';
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

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  const head = [...issue.path].reverse().find((p) => typeof p === 'string');
  const example = typeof head === 'string' && EXAMPLES[head] ? `  (example: ${EXAMPLES[head]})` : '';
  let message = issue.message;
  // A discriminated union (changes[].type) and redis.cluster.nodes carry their own message; the plain union is a connection.
  if (issue.code === 'invalid_union' && !('discriminator' in issue) && issue.message === 'Invalid input') message = 'must be either { url: ... } or { command: ... }';
  if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
  return `  - ${path || '(top level)'}: ${message}${example}`;
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

/** Parses config text; throws one BotError that lists every problem at once. */
export function parseConfig(text: string, env: Env, source = 'config'): Config {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `  - ${e.message.split('\n')[0]}`);
    throw new BotError('BAD_CONFIG', `${source} is not valid YAML:\n${lines.join('\n')}`);
  }
  const missing: string[] = [];
  const expanded = expandEnv(doc.toJS() ?? {}, env, '', missing);
  const withEnv = applyEnvOverrides((expanded ?? {}) as Record<string, unknown>, env);
  const parsed = configSchema.safeParse(withEnv);
  const problems = [...missing.map((m) => `  - ${m}`), ...(parsed.success ? [] : parsed.error.issues.map(formatIssue))];
  if (problems.length > 0 || !parsed.success) {
    throw new BotError('BAD_CONFIG', `${source} has ${problems.length} problem(s):\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export async function loadConfig(path: string, env: Env = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new BotError('BAD_CONFIG', `Cannot read the config file ${path}: pass --config FILE or set SCORECARD_BOT_CONFIG.`, {
      cause,
    });
  }
  return parseConfig(text, env, path);
}
