import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ConnectionUrlResolver } from '../../src/sources/connection-url.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { PG_ADMIN } from '../support/demo-database.js';

// The credential command (the team's `cresta-cli connstring ...`) is run for real, without a shell: here a small
// node script stands in for it. Its URL is cached until a connection made with it fails, then it runs again.

/** A stand-in credential command: records its argv and environment, prints the URL in urlFile. */
function fakeCli(dir: string): string {
  const script = join(dir, 'connstring.cjs');
  writeFileSync(
    script,
    `const fs = require('node:fs');
const [urlFile, logFile, ...rest] = process.argv.slice(2);
fs.appendFileSync(logFile, JSON.stringify({ args: rest, env: process.env }) + '\\n');
process.stderr.write('resolving ' + rest.join(' ') + '\\n');
process.stdout.write(fs.readFileSync(urlFile, 'utf8'));
`,
  );
  return script;
}

function calls(logFile: string): Array<{ args: string[]; env: Record<string, string> }> {
  return readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { args: string[]; env: Record<string, string> });
}

describe('credential command', () => {
  it('caches the URL it prints, and runs again after that URL stops working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-cred-'));
    const urlFile = join(dir, 'url');
    const logFile = join(dir, 'calls');
    writeFileSync(urlFile, 'postgres://postgres@127.0.0.1:1/nowhere\n');
    writeFileSync(logFile, '');
    const command = `${process.execPath} ${fakeCli(dir)} ${urlFile} ${logFile} {name}-{profile} {cluster}`;
    const config = parseConfig(
      JSON.stringify({ customers: [{ name: 'acme', profile: 'eu-1', cluster: 'eu-prod', postgres: { command } }], gap: { statementTimeoutMs: 5000 } }),
      {},
    );
    const sources = new CustomerSources(config);
    try {
      // The first URL points at a closed port: the failure is reported, and the cached URL is dropped.
      const down = await sources.readOnly('acme');
      await expect(down.query('SELECT 1')).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
      expect(calls(logFile)).toHaveLength(1);
      expect(calls(logFile)[0]!.args).toEqual(['acme-eu-1', 'eu-prod']);
      // The credentials rotate; the next call runs the command again and connects.
      writeFileSync(urlFile, `${PG_ADMIN}/postgres\n`);
      await new Promise((r) => setTimeout(r, 50));
      const up = await sources.readOnly('acme');
      expect(await up.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(calls(logFile)).toHaveLength(2);
      // Working credentials stay cached: no third run.
      await (await sources.readOnly('acme')).query('SELECT 1');
      expect(calls(logFile)).toHaveLength(2);
    } finally {
      await sources.close();
    }
  });

  it('a command that fails or prints no postgres:// URL is a clear error', async () => {
    const config = parseConfig(JSON.stringify({ customers: [{ name: 'acme', profile: 'eu-1', postgres: { command: 'echo not-a-url' } }] }), {});
    const sources = new CustomerSources(config);
    await expect(sources.readOnly('acme')).rejects.toMatchObject({ code: 'CREDENTIAL_COMMAND_FAILED' });
    await sources.close();
  });

  it('runs no shell: a profile of "x; touch FILE" creates no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-cred-'));
    const urlFile = join(dir, 'url');
    const logFile = join(dir, 'calls');
    const pwned = join(dir, 'pwned');
    writeFileSync(urlFile, `${PG_ADMIN}/postgres\n`);
    writeFileSync(logFile, '');
    const command = `${process.execPath} ${fakeCli(dir)} ${urlFile} ${logFile} {profile}`;
    // The config refuses such a profile outright...
    expect(() => parseConfig(JSON.stringify({ customers: [{ name: 'acme', profile: `x; touch ${pwned}`, postgres: { command } }] }), {})).toThrow(/profile/);
    // ...and the command runner refuses it too, should one reach it another way. Either way, no shell runs it.
    const customer = { name: 'acme', profile: `x; touch ${pwned}` };
    const resolver = new ConnectionUrlResolver();
    await resolver.resolve({ command, cacheSeconds: 60, env: [] }, customer, 'read').catch(() => undefined);
    // Shell syntax in the template itself is a plain argument as well.
    await resolver.resolve({ command: `${command} ;touch ${pwned}`, cacheSeconds: 60, env: [] }, { name: 'acme', profile: 'eu-1' }, 'write');
    expect(existsSync(pwned)).toBe(false);
    expect(calls(logFile).at(-1)!.args).toEqual(['eu-1', ';touch', pwned]);
  });

  it('gives the command PATH, HOME and the listed variables, never the Slack tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-cred-'));
    const urlFile = join(dir, 'url');
    const logFile = join(dir, 'calls');
    writeFileSync(urlFile, `${PG_ADMIN}/postgres\n`);
    writeFileSync(logFile, '');
    const env = { PATH: process.env.PATH, HOME: '/home/bot', AWS_PROFILE: 'ro-profile', AWS_REGION: 'us-east-1', SLACK_BOT_TOKEN: 'xoxb-secret-1', SLACK_APP_TOKEN: 'xapp-secret-2', OPS_DATABASE_URL: 'postgres://ops:pw@h/ops' };
    const resolver = new ConnectionUrlResolver(undefined, undefined, env);
    const command = `${process.execPath} ${fakeCli(dir)} ${urlFile} ${logFile} {profile}`;
    await resolver.resolve({ command, cacheSeconds: 60, env: ['AWS_*'] }, { name: 'acme', profile: 'eu-1' }, 'read');
    const seen = calls(logFile)[0]!.env;
    expect(seen).toMatchObject({ HOME: '/home/bot', AWS_PROFILE: 'ro-profile', AWS_REGION: 'us-east-1' });
    expect(Object.keys(seen).filter((k) => /SLACK|OPS_DATABASE/.test(k))).toEqual([]);
  });
});
