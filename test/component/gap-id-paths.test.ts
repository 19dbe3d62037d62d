import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { POSTGRES_CONTRACT_DDL } from '../../dev/db/contract-ddl.js';
import { runGap } from '../../src/gap/gap-service.js';
import { uuidV7Prefix } from '../../src/gap/core/queries.js';
import { parsePeriod } from '../../src/period/parse-period.js';
import { CustomerSources } from '../../src/sources/customer-sources.js';
import { createLogger } from '../../src/shared/logger.js';
import { createEmptyDatabase } from '../support/demo-database.js';

// The window query decides presence by an ordered range scan for IDs minted during the window (UUIDv7) and by
// index probes for all others. Both paths must count exactly, whatever the IDs look like: missing (no historic row)
// and partial (historic rows, but a director score's criterion among them is not).

let db: Awaited<ReturnType<typeof createEmptyDatabase>>;

const v7 = (at: string, tail: string) => {
  const p = uuidV7Prefix(new Date(at));
  return `${p}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6, 18).padEnd(12, '0')}`;
};

type Row = { id: string; created: string; present: boolean; partial?: boolean };
const rows: Row[] = [
  // v7, minted when created: the range path
  { id: v7('2026-01-10T10:00:00Z', 'aaa111bbb222ccc333'), created: '2026-01-10T10:00:00Z', present: true },
  { id: v7('2026-01-10T11:00:00Z', 'aaa111bbb222ccc334'), created: '2026-01-10T11:00:00Z', present: false },
  { id: v7('2026-01-10T15:00:00Z', 'aaa111bbb222ccc337'), created: '2026-01-10T15:00:00Z', present: true, partial: true },
  // v7, minted days before created_at: the probe path
  { id: v7('2026-01-01T00:00:00Z', 'aaa111bbb222ccc335'), created: '2026-01-10T12:00:00Z', present: true },
  { id: v7('2026-01-01T00:00:00Z', 'aaa111bbb222ccc336'), created: '2026-01-10T12:30:00Z', present: false },
  { id: v7('2026-01-01T00:00:00Z', 'aaa111bbb222ccc338'), created: '2026-01-10T15:30:00Z', present: true, partial: true },
  // v4 and non-UUID IDs: the probe path
  { id: '3f1c2b9e-8d7a-4c6b-9a5e-1f2d3c4b5a69', created: '2026-01-10T13:00:00Z', present: true },
  { id: 'e2b7c1d4-5a6f-4e8d-b9c0-a1b2c3d4e5f6', created: '2026-01-10T13:30:00Z', present: false },
  { id: 'legacy-000042', created: '2026-01-10T14:00:00Z', present: false },
  { id: 'legacy-000043', created: '2026-01-10T16:00:00Z', present: true, partial: true },
];

beforeAll(async () => {
  db = await createEmptyDatabase('sgb_idpaths');
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(POSTGRES_CONTRACT_DDL);
  for (const r of rows) {
    await c.query(`INSERT INTO director.scorecards (customer, profile, resource_id, conversation_id, template_id, created_at, submitted_at, updated_at)
                   VALUES ('acme', 'eu-1', $1, 'c', 't', $2, NULL, $2)`, [r.id, r.created]);
    for (const criterion of ['a', 'b', 'c']) {
      await c.query(`INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id) VALUES ('acme', 'eu-1', $1, $2, $3)`, [`${r.id}-${criterion}`, r.id, criterion]);
    }
    if (r.present) {
      // Several criteria per scorecard, as in production (historic has no unique key); a partial one lacks 'c'.
      for (const criterion of r.partial ? ['a', 'b'] : ['a', 'b', 'c']) {
        await c.query(`INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id) VALUES ('acme', 'eu-1', $1, $2)`, [r.id, criterion]);
      }
    }
  }
  // A present scorecard of another customer with a colliding ID must not count for acme.
  await c.query(`INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id) VALUES ('other', 'eu-1', $1, 'a')`, [rows[1]!.id]);
  await c.end();
});

afterAll(async () => {
  await db?.drop();
});

describe('window counts across ID formats', () => {
  it('counts present and missing exactly on the range path and the probe path', async () => {
    const config = parseConfig(JSON.stringify({ customers: [{ name: 'acme', profile: 'eu-1', postgres: { url: db.url } }] }), {});
    const sources = new CustomerSources(config);
    try {
      const r = await runGap({ sources, clickhouse: null, settings: config.gap, logger: createLogger({ level: 'silent' }) }, 'acme', parsePeriod('2026-01-10'));
      expect(r.populations.unsubmitted).toEqual({
        total: rows.length,
        missing: rows.filter((x) => !x.present).length,
        partial: rows.filter((x) => x.partial).length,
        clickhouseMissing: null,
        inFlight: 0,
        clickhouseInFlight: null,
      });
      const hour = (h: string) => r.hourly.find((x) => x.hour === `2026-01-10T${h}:00:00.000Z`)?.unsubmitted;
      expect(hour('10')).toEqual({ total: 1, missing: 0, partial: 0 });
      expect(hour('11')).toEqual({ total: 1, missing: 1, partial: 0 });
      expect(hour('12')).toEqual({ total: 2, missing: 1, partial: 0 });
      expect(hour('13')).toEqual({ total: 2, missing: 1, partial: 0 });
      expect(hour('14')).toEqual({ total: 1, missing: 1, partial: 0 });
      expect(hour('15')).toEqual({ total: 2, missing: 0, partial: 2 }); // range path, then probe path
      expect(hour('16')).toEqual({ total: 1, missing: 0, partial: 1 }); // probe path (not a UUID)
    } finally {
      await sources.close();
    }
  });

  it('uuidV7Prefix is the text a v7 ID minted at that instant starts with', () => {
    expect(uuidV7Prefix(new Date('2026-01-17T07:56:06.373Z'))).toBe('019bcaf4-4b65');
    expect('019bcaf4-4b65-7838-b07d-20640fe7628e'.startsWith(uuidV7Prefix(new Date('2026-01-17T07:56:06.373Z')))).toBe(true);
  });
});
