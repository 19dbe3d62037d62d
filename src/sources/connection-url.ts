import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { BotError } from '../shared/errors.js';
import { splitCommand } from '../shared/split-command.js';
import { maskSecrets } from '../shared/mask.js';
import type { ConnectionConfig, CustomerConfig } from '../config/schema.js';

// The credential command runs without a shell: the template is split into arguments once, placeholders are
// substituted inside each argument (a value can never become two arguments or shell syntax), and the child gets a
// minimal environment (PATH, HOME and what the config lists; never the Slack tokens or other secrets of the bot).

export type RunCommand = (argv: string[], env: Record<string, string>) => Promise<string>;

const MAX_STDERR = 2000;
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Why a credential command failed, for the log: the program's name, its exit code (or signal) and its stderr,
 * masked. Never its arguments: a literal argument may be a token, so even an echo of one in stderr is masked.
 */
export class CredentialCommandError extends Error {
  constructor(
    readonly program: string,
    /** 'exited with code 3', 'was killed after 30 s (SIGTERM)', 'could not be started (ENOENT)'. */
    readonly outcome: string,
    readonly stderr: string,
  ) {
    super(`credential command ${program} ${outcome}${stderr ? `: ${stderr}` : ''}`);
    this.name = 'CredentialCommandError';
  }
}

/** stderr as the log may see it: every literal argument removed (longest first), then masked, then bounded. */
export function scrubStderr(stderr: string, args: readonly string[]): string {
  let out = stderr;
  for (const arg of [...args].filter((a) => a.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(arg).join('***');
  const masked = maskSecrets(out).trim();
  return masked.length > MAX_STDERR ? `${masked.slice(0, MAX_STDERR)}…` : masked;
}

export const runCommand: RunCommand = ([file, ...args], env) =>
  new Promise((resolve, reject) => {
    if (!file) {
      reject(new Error('empty command'));
      return;
    }
    execFile(file, args, { env, shell: false, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      // execFile's own error quotes the whole command line ("Command failed: ... --api-token s3cr3t"): dropped.
      const e = err as { code?: number | string | null; signal?: string | null; killed?: boolean };
      const outcome =
        typeof e.code === 'number'
          ? `exited with code ${e.code}`
          : e.killed
            ? `was killed after ${COMMAND_TIMEOUT_MS / 1000} s (${e.signal ?? 'timeout'})`
            : e.signal
              ? `was ended by ${e.signal}`
              : `could not be started (${e.code ?? 'unknown error'})`;
      reject(new CredentialCommandError(basename(file), outcome, scrubStderr(String(stderr), args)));
    });
  });

export { splitCommand } from '../shared/split-command.js';

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Splits the template, then substitutes {name} {customer} {profile} {cluster} inside each argument. */
export function expandArgs(template: string, customer: Pick<CustomerConfig, 'name' | 'profile' | 'cluster'>): string[] {
  const values: Record<string, string> = { name: customer.name, customer: customer.name, profile: customer.profile, cluster: customer.cluster ?? '' };
  for (const key of ['name', 'profile', 'cluster'] as const) {
    const v = values[key]!;
    // The config validates these already; checked again here because they end up on a command line.
    if (v !== '' && !PLAIN_NAME.test(v)) {
      throw new BotError('BAD_CONFIG', `The ${key} of customer ${customer.name.slice(0, 40)} is not a plain name, so the credential command was not run.`, {
        hint: 'Use letters, digits, dots, dashes and underscores, e.g. profile: us-east-1',
      });
    }
  }
  return splitCommand(template).map((arg) => arg.replace(/\{(name|customer|profile|cluster)\}/g, (_m, k: string) => values[k]!));
}

/** PATH, HOME and the listed variables (NAME, or PREFIX_*); Slack variables never, whatever is listed. */
export function childEnv(env: Record<string, string | undefined>, allowed: string[]): Record<string, string> {
  const wanted = (name: string): boolean =>
    name === 'PATH' || name === 'HOME' || allowed.some((a) => (a.endsWith('*') ? name.startsWith(a.slice(0, -1)) : name === a));
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !/^SLACK_/i.test(e[0]) && wanted(e[0])),
  );
}

/**
 * Resolves a connection URL: given directly, or printed by a credential command (the team's
 * `cresta-cli connstring ...`). Command output is cached for cacheSeconds and dropped by `invalidate` when a
 * connection with it fails, so rotated credentials are picked up without a restart.
 */
export class ConnectionUrlResolver {
  private readonly cache = new Map<string, { url: string; expires: number }>();

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly now: () => number = Date.now,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {}

  async resolve(conn: ConnectionConfig, customer: Pick<CustomerConfig, 'name' | 'profile' | 'cluster'>, role: 'read' | 'write'): Promise<string> {
    if ('url' in conn) return conn.url;
    const key = `${customer.name}/${role}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.url;
    const argv = expandArgs(conn.command, customer);
    let out: string;
    try {
      out = await this.run(argv, childEnv(this.env, conn.env ?? []));
    } catch (cause) {
      throw new BotError('CREDENTIAL_COMMAND_FAILED', `The credential command for ${customer.name} failed.`, {
        cause,
        hint: 'Run it by hand on the bot host to see why (expired login, missing tool, a variable missing from env: [...]).',
      });
    }
    const url = out.trim().split('\n').pop()?.trim() ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new BotError('CREDENTIAL_COMMAND_FAILED', `The credential command for ${customer.name} did not print a postgres:// URL.`);
    }
    this.cache.set(key, { url, expires: this.now() + conn.cacheSeconds * 1000 });
    return url;
  }

  invalidate(customer: Pick<CustomerConfig, 'name'>, role: 'read' | 'write'): void {
    this.cache.delete(`${customer.name}/${role}`);
  }
}
