import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { PG_ADMIN } from '../support/demo-database.js';

// The credential command (the team's `cresta-cli connstring ...`) is run for real through /bin/sh; its URL is
// cached until a connection made with it fails, then the command runs again.

describe('credential command', () => {
  it('caches the URL it prints, and runs again after that URL stops working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-cred-'));
    const urlFile = join(dir, 'url');
    const countFile = join(dir, 'count');
    writeFileSync(urlFile, 'postgres://postgres@127.0.0.1:1/nowhere\n');
    writeFileSync(countFile, '');
    const command = `echo run >> ${countFile}; echo "resolving {name}-{profile} on {cluster}" >&2; cat ${urlFile}`;
    const config = parseConfig(
      JSON.stringify({ customers: [{ name: 'acme', profile: 'eu-1', cluster: 'eu-prod', postgres: { command } }], gap: { statementTimeoutMs: 5000 } }),
      {},
    );
    const sources = new CustomerSources(config);
    const runs = async () => (await import('node:fs')).readFileSync(countFile, 'utf8').trim().split('\n').filter(Boolean).length;
    try {
      // The first URL points at a closed port: the failure is reported, and the cached URL is dropped.
      const down = await sources.readOnly('acme');
      await expect(down.query('SELECT 1')).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
      expect(await runs()).toBe(1);
      // The credentials rotate; the next call runs the command again and connects.
      writeFileSync(urlFile, `${PG_ADMIN}/postgres\n`);
      await new Promise((r) => setTimeout(r, 50));
      const up = await sources.readOnly('acme');
      expect(await up.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(await runs()).toBe(2);
      // Working credentials stay cached: no third run.
      await (await sources.readOnly('acme')).query('SELECT 1');
      expect(await runs()).toBe(2);
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
});
