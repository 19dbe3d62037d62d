// Threat: ClickHouse had one credential for reading and writing, so the read path held INSERT-capable
// credentials, guarded only by a readonly=1 setting. Now clickhouse.reader and clickhouse.writer are separate, and
// a recording proxy in front of the real ClickHouse shows which user each request came as: `gap` and `check` only
// ever as the reader; the backfill's ClickHouse writer as the writer.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickhouseWriter, writeClickhouseChunk } from '../../src/backfill/clickhouse-writer.js';
import { reportCliError } from '../../src/cli/cli-errors.js';
import { checkCommand } from '../../src/cli/check-cli.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createDemoDatabase, testPool, type DemoDatabase } from '../support/demo-database.js';
import { runGapCli, writeConfigFile } from '../support/gap-cli-run.js';

let demo: DemoDatabase;
let proxy: Server;
let proxyUrl: string;
const users: string[] = [];

function userOf(headers: Record<string, string | string[] | undefined>): string {
  const basic = /^Basic (.+)$/.exec(String(headers.authorization ?? ''));
  if (basic?.[1]) return Buffer.from(basic[1], 'base64').toString().split(':')[0] ?? '';
  return String(headers['x-clickhouse-user'] ?? '(default)');
}

beforeAll(async () => {
  demo = await createDemoDatabase({ scale: 0.002, seed: 7, customers: ['rentokil'], from: '2026-01-01', to: '2026-02-01' });
  const target = new URL(demo.clickhouseUrl);
  proxy = createServer((req, res) => {
    users.push(userOf(req.headers));
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await demo?.drop();
});

function configWith(clickhouse: Record<string, unknown>): Record<string, unknown> {
  const base = demo.config();
  return {
    customers: base.customers,
    clickhouse: { url: proxyUrl, database: demo.clickhouseDatabase, table: 'scorecard_scores', ...clickhouse },
    logLevel: 'silent',
  };
}

describe('ClickHouse credentials', () => {
  it('refuses one credential for both, naming the two to use', () => {
    expect(() => parseConfig(JSON.stringify(configWith({ username: 'both', password: 'x' })), {})).toThrow(/clickhouse\.reader .* and clickhouse\.writer/);
  });

  it('gap and check read as the reader, and never as the writer', async () => {
    const file = writeConfigFile(configWith({ reader: { username: 'sgb_reader', password: 'r' }, writer: { username: 'sgb_writer', password: 'w' } }));
    users.length = 0;
    const gap = await runGapCli(['rentokil', 'jan-2026', '--config', file]);
    expect(gap.code, gap.stderr).toBe(0);
    expect(gap.stdout).toContain('missing from ClickHouse');
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const id = demo.truth.checkCases.missingClickhouse!.scorecardId;
    const code = await checkCommand([id, 'rentokil', '--config', file], { stdout: out, stderr: err, env: {} }).catch((e: unknown) => reportCliError(e, err));
    expect(code).toBe(0);
    expect(text).toContain(id);
    expect(users.length).toBeGreaterThan(0);
    expect(new Set(users)).toEqual(new Set(['sgb_reader']));
  });

  it('the backfill writes ClickHouse as the writer', async () => {
    const config = parseConfig(JSON.stringify(configWith({ reader: { username: 'sgb_reader' }, writer: { username: 'sgb_writer', password: 'w' } })), {});
    const writer = openClickhouseWriter(config.clickhouse!);
    const pool = testPool(demo.adminUrl, 1);
    users.length = 0;
    try {
      const id = demo.truth.checkCases.missingClickhouse!.scorecardId;
      const written = await writeClickhouseChunk(writer, pool, 'rentokil', demo.truth.profileId, [id], `sec-test-${id}`);
      expect(written).toBeGreaterThan(0);
    } finally {
      await pool.end();
      await writer.client.close();
    }
    expect(new Set(users)).toEqual(new Set(['sgb_writer']));
  });
});
