import { describe, expect, it } from 'vitest';
import { BACKFILL_ACTION_ID, checkBlocks, parseBackfillButtonValue } from '../../src/check/check-blocks.js';
import { checkResultSchema, type CheckResult } from '../../src/check/check-result.js';
import { renderCheckText } from '../../src/check/render-check-text.js';
import { decide, type CheckFacts, type FoundFacts } from '../../src/check/verdict.js';
import { blockKitViolations } from '../support/slack-limits.js';
import { messageTables, textTables } from '../support/slack-tables.js';

const ID = '019bcaf4-4b65-7838-b07d-20640fe7628e';

function result(found: FoundFacts | null, extra: Partial<CheckFacts> = {}): CheckResult {
  const facts: CheckFacts = {
    id: ID,
    createdAtFromId: '2026-01-17T07:56:06.373Z',
    found,
    searched: ['rentokil', 'spirit', 'nclh'],
    customerGiven: false,
    unreachable: [],
    ...extra,
  };
  const { clickhouse, customer, profile, ...tiers } = found ?? { clickhouse: null, customer: null, profile: null };
  return checkResultSchema.parse({
    id: ID,
    customer,
    profile,
    createdAtFromId: facts.createdAtFromId,
    tiers: found
      ? { ...tiers, clickhouse }
      : { director: null, scores: null, historic: null, clickhouse: null, conversation: null },
    ...decide(facts),
    searched: facts.searched,
    unreachable: facts.unreachable,
  });
}

const missing: FoundFacts = {
  customer: 'rentokil',
  profile: 'us-east-1',
  director: {
    createdAt: '2026-01-17T07:56:06.373Z',
    submittedAt: '2026-01-23T10:00:00.000Z',
    updatedAt: '2026-01-23T10:00:00.000Z',
    scorecardType: null,
    calibratedScorecardId: null,
    templateId: 'tmpl-1',
    templateTitle: 'RTX Customer Care Scorecard 2026',
    conversationId: 'conv-1',
  },
  scores: { rows: 35, criteria: 35 },
  historic: { rows: 0, criteria: 0, scoresWithoutHistoric: 35 },
  clickhouse: { status: 'checked', criteria: 0, narrowed: false },
  conversation: { id: 'conv-1', found: true, startedAt: '2026-01-16T09:00:00.000Z', endedAt: '2026-01-16T09:20:00.000Z' },
};

describe('renderCheckText', () => {
  it('missing from historic', () => {
    expect(renderCheckText(result(missing))).toMatchInlineSnapshot(`
      "Scorecard 019bcaf4-4b65-7838-b07d-20640fe7628e · rentokil/us-east-1
      ID time: 2026-01-17 07:56 UTC (UUIDv7)

      | Tier         | State      | Detail                                                                                                         |
      |--------------|------------|----------------------------------------------------------------------------------------------------------------|
      | director     | found      | created 2026-01-17 07:56 UTC · submitted 2026-01-23 10:00 UTC · type null · "RTX Customer Care Scorecard 2026" |
      | scores       | 35 rows    | 35 criteria                                                                                                    |
      | historic     | 0 rows     | –                                                                                                              |
      | clickhouse   | 0 criteria | full lookup                                                                                                    |
      | conversation | found      | conv-1 · started 2026-01-16 09:00 UTC · ended 2026-01-16 09:20 UTC                                             |

      Missing from historic: Created 2026-01-17 07:56 UTC; the create-time historic write never landed, and the first submit (2026-01-23 10:00 UTC) skipped it.
        - The first submit of a normal scorecard skips the historic write (skipUpdateHistoricScores), assuming create already wrote it.
        - Look for "failed to update the historic.scorecard_scores" in the logs around 2026-01-17 07:56 UTC.
        - Created 2026-01-17 07:56 UTC; submitted 2026-01-23 10:00 UTC (6 days later).
        - 35 rows in director.scores (35 criteria).
        - No rows in historic.scorecard_scores.
        - No rows in ClickHouse.
        - Conversation conv-1 is in app.chats (started 2026-01-16 09:00 UTC, ended 2026-01-16 09:20 UTC).
        - A backfill can rewrite it from director.scores."
    `);
  });

  it('healthy without ClickHouse', () => {
    const healthy = { ...missing, historic: { rows: 35, criteria: 35, scoresWithoutHistoric: 0 }, clickhouse: { status: 'not_configured' as const } };
    expect(renderCheckText(result(healthy, { customerGiven: true, searched: ['rentokil'] }))).toMatchInlineSnapshot(`
      "Scorecard 019bcaf4-4b65-7838-b07d-20640fe7628e · rentokil/us-east-1
      ID time: 2026-01-17 07:56 UTC (UUIDv7)

      | Tier         | State       | Detail                                                                                                         |
      |--------------|-------------|----------------------------------------------------------------------------------------------------------------|
      | director     | found       | created 2026-01-17 07:56 UTC · submitted 2026-01-23 10:00 UTC · type null · "RTX Customer Care Scorecard 2026" |
      | scores       | 35 rows     | 35 criteria                                                                                                    |
      | historic     | 35 rows     | 35 criteria                                                                                                    |
      | clickhouse   | not checked | not configured                                                                                                 |
      | conversation | found       | conv-1 · started 2026-01-16 09:00 UTC · ended 2026-01-16 09:20 UTC                                             |

      Healthy: All 35 scores are in historic (ClickHouse not configured).
        - Created 2026-01-17 07:56 UTC; submitted 2026-01-23 10:00 UTC (6 days later).
        - 35 rows in director.scores (35 criteria).
        - 35 rows in historic.scorecard_scores (35 criteria).
        - ClickHouse not configured: that tier was not checked.
        - Conversation conv-1 is in app.chats (started 2026-01-16 09:00 UTC, ended 2026-01-16 09:20 UTC)."
    `);
  });

  it('not found, with an unreachable customer', () => {
    const r = result(null, { unreachable: [{ customer: 'nclh', message: 'Cannot reach the database of nclh/us-east-1.' }] });
    expect(renderCheckText(r)).toMatchInlineSnapshot(`
      "Scorecard 019bcaf4-4b65-7838-b07d-20640fe7628e · 3 customers searched
      ID time: 2026-01-17 07:56 UTC (UUIDv7)

      Not found: Not in any of the 2 customers searched (rentokil, spirit); could not reach nclh.
        - No row in director.scorecards with this ID.
        - The ID is a UUIDv7 minted 2026-01-17 07:56 UTC.
        - nclh: Cannot reach the database of nclh/us-east-1."
    `);
  });
});

describe('checkBlocks', () => {
  it('missing from historic: table, evidence and the backfill button', () => {
    const msg = checkBlocks(result(missing));
    expect(msg).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "text": ":red_circle: *Missing from historic* · \`019bcaf4-4b65-7838-b07d-20640fe7628e\` · rentokil/us-east-1
      Created 2026-01-17 07:56 UTC; the create-time historic write never landed, and the first submit (2026-01-23 10:00 UTC) skipped it.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "ID time 2026-01-17 07:56 UTC (UUIDv7)",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
          {
            "column_settings": [
              {
                "is_wrapped": false,
              },
              {
                "is_wrapped": false,
              },
              {
                "is_wrapped": true,
              },
            ],
            "rows": [
              [
                {
                  "text": "Tier",
                  "type": "raw_text",
                },
                {
                  "text": "State",
                  "type": "raw_text",
                },
                {
                  "text": "Detail",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "director",
                  "type": "raw_text",
                },
                {
                  "text": "found",
                  "type": "raw_text",
                },
                {
                  "text": "created 2026-01-17 07:56 UTC · submitted 2026-01-23 10:00 UTC · type null · "RTX Customer Care Scorecard 2026"",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "scores",
                  "type": "raw_text",
                },
                {
                  "text": "35 rows",
                  "type": "raw_text",
                },
                {
                  "text": "35 criteria",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "historic",
                  "type": "raw_text",
                },
                {
                  "text": "0 rows",
                  "type": "raw_text",
                },
                {
                  "text": "–",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "clickhouse",
                  "type": "raw_text",
                },
                {
                  "text": "0 criteria",
                  "type": "raw_text",
                },
                {
                  "text": "full lookup",
                  "type": "raw_text",
                },
              ],
              [
                {
                  "text": "conversation",
                  "type": "raw_text",
                },
                {
                  "text": "found",
                  "type": "raw_text",
                },
                {
                  "text": "conv-1 · started 2026-01-16 09:00 UTC · ended 2026-01-16 09:20 UTC",
                  "type": "raw_text",
                },
              ],
            ],
            "type": "table",
          },
          {
            "text": {
              "text": "• The first submit of a normal scorecard skips the historic write (skipUpdateHistoricScores), assuming create already wrote it.
      • Look for "failed to update the historic.scorecard_scores" in the logs around 2026-01-17 07:56 UTC.
      • Created 2026-01-17 07:56 UTC; submitted 2026-01-23 10:00 UTC (6 days later).
      • 35 rows in director.scores (35 criteria).
      • No rows in historic.scorecard_scores.
      • No rows in ClickHouse.
      • Conversation conv-1 is in app.chats (started 2026-01-16 09:00 UTC, ended 2026-01-16 09:20 UTC).
      • A backfill can rewrite it from director.scores.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "block_id": "scorecard_check:rentokil:019bcaf4-4b65-7838-b07d-20640fe7628e",
            "elements": [
              {
                "action_id": "backfill_scorecard",
                "style": "primary",
                "text": {
                  "text": "Backfill this scorecard",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"id":"019bcaf4-4b65-7838-b07d-20640fe7628e","customer":"rentokil"}",
              },
            ],
            "type": "actions",
          },
        ],
        "text": "Missing from historic: Created 2026-01-17 07:56 UTC; the create-time historic write never landed, and the first submit (2026-01-23 10:00 UTC) skipped it.",
      }
    `);
    const button = msg.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []))[0];
    expect(button).toMatchObject({ action_id: BACKFILL_ACTION_ID });
    expect(parseBackfillButtonValue((button as { value: string }).value)).toEqual({ id: ID, customer: 'rentokil' });
  });

  it('shows the tiers\' counts in their cells, the same in Slack and in the terminal', () => {
    // Distinct numbers for every tier, so a count in the wrong cell or off by one cannot pass.
    const partial: FoundFacts = {
      ...missing,
      scores: { rows: 24, criteria: 23 },
      historic: { rows: 11, criteria: 10, scoresWithoutHistoric: 13 },
      clickhouse: { status: 'checked', criteria: 9, narrowed: true },
    };
    const r = result(partial);
    expect(r.verdict).toBe('partial_historic');
    const [slack] = messageTables([checkBlocks(r)]);
    const [terminal] = textTables(renderCheckText(r));
    for (const table of [slack!, terminal!]) {
      const row = (tier: string) => table.rows.find((x) => x[0] === tier);
      expect(table.rows[0]).toEqual(['Tier', 'State', 'Detail']);
      expect(row('scores')?.slice(1)).toEqual(['24 rows', '23 criteria']);
      expect(row('historic')?.[1]).toBe('11 rows');
      expect(row('historic')?.[2]).toBe('10 criteria · 13 scores without a row');
      expect(row('clickhouse')?.[1]).toBe('9 criteria');
      expect(row('director')?.[2]).toContain('created 2026-01-17 07:56 UTC · submitted 2026-01-23 10:00 UTC');
    }
    expect(r.summary).toBe('13 of 24 scores have no historic row.');
  });

  it("stays within Slack's published limits with long names, titles and evidence", () => {
    const long = 'x'.repeat(5_000);
    const big: FoundFacts = {
      ...missing,
      customer: 'a'.repeat(63), // the longest customer name the config accepts
      director: { ...missing.director, templateTitle: long, conversationId: long, templateId: long },
      conversation: { id: long, found: false, startedAt: null, endedAt: null },
    };
    for (const r of [result(big), result(null), result(missing, { unreachable: Array.from({ length: 40 }, (_, i) => ({ customer: `c${i}`, message: long })) })]) {
      expect(blockKitViolations(checkBlocks(r))).toEqual([]);
    }
  });

  it('no button when not repairable; one table at most; cells never empty', () => {
    const msg = checkBlocks(result({ ...missing, director: { ...missing.director, calibratedScorecardId: 'sc-0' } }));
    expect(msg.blocks.some((b) => b.type === 'actions')).toBe(false);
    const tables = msg.blocks.filter((b) => b.type === 'table');
    expect(tables).toHaveLength(1);
    for (const row of (tables[0] as { rows: { text: string }[][] }).rows) for (const c of row) expect(c.text.length).toBeGreaterThan(0);
    expect(checkBlocks(result(null)).blocks.some((b) => b.type === 'table')).toBe(false);
  });

  it('escapes mrkdwn in sections (table cells are raw text)', () => {
    const msg = checkBlocks(result({ ...missing, conversation: { ...missing.conversation, id: '<!channel>', found: false } }));
    const mrkdwn = JSON.stringify(msg.blocks.filter((b) => b.type === 'section'));
    expect(mrkdwn).toContain('&lt;!channel&gt;');
    expect(mrkdwn).not.toContain('<!channel>');
  });

  it('refuses a tampered button value', () => {
    expect(() => parseBackfillButtonValue('{"id":"x","customer":"rentokil"}')).toThrow(/not a scorecard ID/);
    expect(() => parseBackfillButtonValue('nope')).toThrow(/does not carry/);
  });
});
