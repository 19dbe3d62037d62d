import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { BotError } from '../shared/errors.js';
import { globProblem, globToRegExp } from '../shared/glob.js';
import { maskSecrets } from '../shared/mask.js';
import { splitCommand } from '../shared/split-command.js';

// A fleet's customers: besides the config file's own `customers`, `customersFrom` names YAML files (a glob next to
// the config: one customer, a list, or { customers: [...] } each) or a command that prints them (YAML/JSON, or
// lines "name profile [cluster]"), such as the credential tool's customer list. `clusters` gives what every
// customer of a cluster shares (profile, postgres, writer), so 300 customers need no 300 blocks. Each customer
// keeps its origin, so a problem in the 57th names its file.

export interface RawCustomers {
  customers: unknown[];
  /** Where each customer came from, in the same order: 'the config file', 'customers/tenant047.yml', ... */
  origins: string[];
}

type CustomerSource = string | { files: string } | { command: string; env?: string[] };

const COMMAND_TIMEOUT_MS = 60_000;

function customersIn(doc: unknown, where: string): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object' && Array.isArray((doc as { customers?: unknown }).customers)) return (doc as { customers: unknown[] }).customers;
  if (doc && typeof doc === 'object') return [doc];
  throw new BotError('BAD_CONFIG', `${where} holds no customers.`, { hint: 'Write one customer ({ name, profile, cluster }), a list of them, or { customers: [...] }.' });
}

function parseYaml(text: string, where: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new BotError('BAD_CONFIG', `${where} is not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
  return doc.toJS();
}

/** Lines "name profile [cluster]" ('#' comments and blank lines skipped), or YAML/JSON. */
export function parseCustomerListing(text: string, where: string): unknown[] {
  const lines = text.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  const plain = lines.length > 0 && lines.every((l) => /^[a-z0-9][a-z0-9-]*\s+\S+(\s+\S+)?$/.test(l));
  if (plain) {
    return lines.map((l) => {
      const [name, profile, cluster] = l.split(/\s+/);
      return { name, profile, ...(cluster ? { cluster } : {}) };
    });
  }
  return customersIn(parseYaml(text, where), where);
}

async function filesMatching(base: string, glob: string): Promise<string[]> {
  const problem = globProblem(glob);
  if (problem) throw new BotError('BAD_CONFIG', `customersFrom: the glob "${glob}" ${problem}.`, { hint: 'For example: customersFrom: customers/*.yml' });
  // Walk from the glob's fixed leading directories only.
  const parts = glob.split('/');
  const fixed: string[] = [];
  while (parts.length > 1 && !/[*?[\]]/.test(parts[0] ?? '')) fixed.push(parts.shift() ?? '');
  const root = resolve(base, ...fixed);
  let entries: string[];
  try {
    entries = (await readdir(root, { recursive: true })) as string[];
  } catch (cause) {
    throw new BotError('BAD_CONFIG', `customersFrom: cannot read the folder ${relative(base, root) || '.'} for "${glob}".`, { cause, hint: 'The glob is relative to the config file.' });
  }
  const re = globToRegExp(parts.join('/'));
  return entries.filter((e) => re.test(e.split('\\').join('/'))).sort().map((e) => join(root, e));
}

function runListing(command: string, envNames: string[], env: Record<string, string | undefined>): Promise<string> {
  const [file, ...args] = splitCommand(command, 'customers command');
  const childEnv = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && !/^SLACK_/i.test(k) && (k === 'PATH' || k === 'HOME' || envNames.some((n) => (n.endsWith('*') ? k.startsWith(n.slice(0, -1)) : k === n)))),
  ) as Record<string, string>;
  return new Promise((resolvePromise, reject) => {
    execFile(file ?? '', args, { env: childEnv, shell: false, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolvePromise(stdout);
      // Never the arguments (a token may be one): the program, the outcome, stderr masked.
      const e = err as { code?: number | string };
      const outcome = typeof e.code === 'number' ? `exited with code ${e.code}` : `could not run (${String(e.code ?? 'error')})`;
      let text = String(stderr);
      for (const a of args.filter((x) => x.length >= 3)) text = text.split(a).join('***');
      reject(new BotError('BAD_CONFIG', `customersFrom: the command ${basename(file ?? '')} ${outcome}.`, { hint: maskSecrets(text.trim()).slice(0, 300) || 'Run it by hand to see why.' }));
    });
  });
}

/** The customers `customersFrom` lists, each with its origin. Reads files relative to `base` (the config's folder). */
export async function readCustomerSources(from: unknown, base: string, env: Record<string, string | undefined>): Promise<RawCustomers> {
  const list = (Array.isArray(from) ? from : [from]) as CustomerSource[];
  const out: RawCustomers = { customers: [], origins: [] };
  for (const source of list) {
    if (typeof source === 'string' || (source && typeof source === 'object' && 'files' in source)) {
      const glob = typeof source === 'string' ? source : source.files;
      const files = await filesMatching(base, glob);
      if (files.length === 0) throw new BotError('BAD_CONFIG', `customersFrom: no file matches "${glob}" (relative to the config file).`);
      for (const f of files) {
        const where = relative(base, f);
        const found = customersIn(parseYaml(await readFile(f, 'utf8'), where), where);
        out.customers.push(...found);
        out.origins.push(...found.map(() => where));
      }
    } else if (source && typeof source === 'object' && 'command' in source) {
      const where = `the customers command (${basename(splitCommand(source.command, 'customers command')[0] ?? '')})`;
      const found = parseCustomerListing(await runListing(source.command, source.env ?? [], env), where);
      out.customers.push(...found);
      out.origins.push(...found.map(() => where));
    }
  }
  return out;
}

/** Fills what a customer leaves out from its cluster's defaults (pure). */
export function applyClusterDefaults(customers: readonly unknown[], clusters: unknown): unknown[] {
  const table = clusters && typeof clusters === 'object' ? (clusters as Record<string, Record<string, unknown>>) : {};
  return customers.map((c) => {
    if (!c || typeof c !== 'object') return c;
    const customer = c as Record<string, unknown>;
    const defaults = typeof customer.cluster === 'string' ? table[customer.cluster] : undefined;
    if (!defaults) return customer;
    const filled: Record<string, unknown> = { ...customer };
    for (const key of ['profile', 'postgres', 'writer', 'owners'] as const) {
      if (filled[key] === undefined && defaults[key] !== undefined) filled[key] = structuredClone(defaults[key]);
    }
    return filled;
  });
}
