// The ClickHouse server of the test run (test/support/clickhouse-global-setup.ts) speaks the HTTP interface
// @clickhouse/client needs, with a modern engine: query parameters ({customer:String}, which Debian's
// ClickHouse 18.16 lacks), ReplacingMergeTree, JSONEachRow inserts and DateTime64(3, 'UTC').
import { randomUUID } from 'node:crypto';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseUrl } from '../support/clickhouse-url.js';

describe('ClickHouse test server', () => {
  let client: ClickHouseClient;
  const database = `test_server_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    // The error test below would otherwise make the client log the expected failure.
    client = createClient({ url: clickhouseUrl(), log: { level: ClickHouseLogLevel.OFF } });
    await client.command({ query: `CREATE DATABASE ${database}` });
  });

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  it('answers ping and runs ClickHouse >= 23', async () => {
    expect((await client.ping()).success).toBe(true);
    const rs = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
    const [row] = await rs.json<{ version: string }>();
    expect(row?.version).toMatch(/^\d{2}\./);
    expect(Number(row?.version.split('.')[0])).toBeGreaterThanOrEqual(23);
  });

  it('stores JSONEachRow rows in a ReplacingMergeTree and filters with query parameters', async () => {
    await client.command({
      query: `CREATE TABLE ${database}.scores (
        customer_id String,
        scorecard_id String,
        score Nullable(Float64),
        scorecard_created_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY (customer_id, scorecard_id)`,
    });
    await client.insert({
      table: `${database}.scores`,
      format: 'JSONEachRow',
      values: [
        { customer_id: 'acme', scorecard_id: 's1', score: 1, scorecard_created_at: '2024-03-01 10:00:00.123', updated_at: '2024-03-01 10:00:00.000' },
        { customer_id: 'acme', scorecard_id: 's1', score: 2, scorecard_created_at: '2024-03-01 10:00:00.123', updated_at: '2024-03-02 10:00:00.000' },
        { customer_id: 'acme', scorecard_id: 's2', score: null, scorecard_created_at: '2024-03-03 23:59:59.999', updated_at: '2024-03-03 23:59:59.999' },
        { customer_id: "o'hara", scorecard_id: 's3', score: 3.5, scorecard_created_at: '2024-03-04 00:00:00.001', updated_at: '2024-03-04 00:00:00.001' },
      ],
    });

    const rs = await client.query({
      query: `SELECT scorecard_id, score
              FROM ${database}.scores FINAL
              WHERE customer_id = {customer:String}
              ORDER BY scorecard_id`,
      query_params: { customer: 'acme' },
      format: 'JSONEachRow',
    });
    // FINAL keeps the row with the greatest updated_at for s1.
    expect(await rs.json()).toEqual([
      { scorecard_id: 's1', score: 2 },
      { scorecard_id: 's2', score: null },
    ]);

    const quoted = await client.query({
      query: `SELECT count() AS n FROM ${database}.scores WHERE customer_id = {customer:String}`,
      query_params: { customer: "o'hara" },
      format: 'JSONEachRow',
    });
    expect(await quoted.json()).toEqual([{ n: 1 }]);
  });

  it("round-trips DateTime64(3, 'UTC') with milliseconds", async () => {
    await client.command({
      query: `CREATE TABLE ${database}.times (id UInt32, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id`,
    });
    await client.insert({
      table: `${database}.times`,
      format: 'JSONEachRow',
      values: [{ id: 1, at: '2024-12-31 23:59:59.987' }],
    });
    const rs = await client.query({
      query: `SELECT at, toUnixTimestamp64Milli(at) AS ms, toTypeName(at) AS type
              FROM ${database}.times WHERE at = {at:DateTime64(3, 'UTC')}`,
      query_params: { at: new Date('2024-12-31T23:59:59.987Z') },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ at: string; ms: string | number; type: string }>();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.at).toBe('2024-12-31 23:59:59.987');
    expect(Number(rows[0]?.ms)).toBe(Date.parse('2024-12-31T23:59:59.987Z'));
    expect(rows[0]?.type).toBe("DateTime64(3, 'UTC')");
  });

  it('runs concurrent queries in parallel', async () => {
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client
          .query({ query: 'SELECT {i:UInt8} AS i, sleep(0.5) AS s', query_params: { i }, format: 'JSONEachRow' })
          .then((rs) => rs.json<{ i: number }>()),
      ),
    );
    expect(results.map((rows) => rows[0]?.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Serialised, 8 x 0.5 s would take 4 s.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('reports errors as ClickHouseError with the server code', async () => {
    await expect(
      client.query({ query: `SELECT * FROM ${database}.missing_table`, format: 'JSONEachRow' }),
    ).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
  });
});
