import { execFile } from 'node:child_process';
import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import type { ConnectionConfig, CustomerConfig } from '../config/schema.js';

export type RunCommand = (command: string) => Promise<string>;

export const runShellCommand: RunCommand = (command) =>
  new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: maskSecrets(String(stderr)) }));
      else resolve(stdout);
    });
  });

/** Substitutes {name} {profile} {cluster}; these come from validated config, not from chat input. */
export function expandCommand(template: string, customer: CustomerConfig): string {
  return template
    .replaceAll('{name}', customer.name)
    .replaceAll('{customer}', customer.name)
    .replaceAll('{profile}', customer.profile)
    .replaceAll('{cluster}', customer.cluster ?? '');
}

/**
 * Resolves a connection URL: given directly, or printed by a credential command (the team's
 * `cresta-cli connstring ...`). Command output is cached for cacheSeconds and dropped by `invalidate` when a
 * connection with it fails, so rotated credentials are picked up without a restart.
 */
export class ConnectionUrlResolver {
  private readonly cache = new Map<string, { url: string; expires: number }>();

  constructor(
    private readonly run: RunCommand = runShellCommand,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(conn: ConnectionConfig, customer: CustomerConfig, role: 'read' | 'write'): Promise<string> {
    if ('url' in conn) return conn.url;
    const key = `${customer.name}/${role}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.url;
    const command = expandCommand(conn.command, customer);
    let out: string;
    try {
      out = await this.run(command);
    } catch (cause) {
      throw new BotError('CREDENTIAL_COMMAND_FAILED', `The credential command for ${customer.name} failed.`, {
        cause,
        hint: 'Run it by hand on the bot host to see why (expired login, missing tool).',
      });
    }
    const url = out.trim().split('\n').pop()?.trim() ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new BotError('CREDENTIAL_COMMAND_FAILED', `The credential command for ${customer.name} did not print a postgres:// URL.`);
    }
    this.cache.set(key, { url, expires: this.now() + conn.cacheSeconds * 1000 });
    return url;
  }

  invalidate(customer: CustomerConfig, role: 'read' | 'write'): void {
    this.cache.delete(`${customer.name}/${role}`);
  }
}
