import { describe, expect, it } from 'vitest';
import { VERDICTS, type Verdict } from '../../src/check/check-result.js';
import { decide, gap, type CheckFacts, type FoundFacts } from '../../src/check/verdict.js';

const ID = '019bcaf4-4b65-7838-b07d-20640fe7628e';

type FoundPatch = { [K in keyof FoundFacts]?: FoundFacts[K] extends object ? Partial<FoundFacts[K]> : FoundFacts[K] };

/** The incident's example scorecard, healthy unless patched. */
function found(patch: FoundPatch = {}): FoundFacts {
  return {
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
      ...patch.director,
    },
    scores: { rows: 35, criteria: 35, ...patch.scores },
    historic: { rows: 35, criteria: 35, scoresWithoutHistoric: 0, ...patch.historic },
    clickhouse: (patch.clickhouse as FoundFacts['clickhouse']) ?? { status: 'checked', criteria: 35, narrowed: true },
    conversation: {
      id: 'conv-1',
      found: true,
      startedAt: '2026-01-16T09:00:00.000Z',
      endedAt: '2026-01-16T09:20:00.000Z',
      ...patch.conversation,
    },
  };
}

function facts(f: FoundFacts | null, extra: Partial<CheckFacts> = {}): CheckFacts {
  return {
    id: ID,
    createdAtFromId: '2026-01-17T07:56:06.373Z',
    found: f,
    searched: ['rentokil'],
    customerGiven: true,
    unreachable: [],
    ...extra,
  };
}

const MISSING = { historic: { rows: 0, criteria: 0, scoresWithoutHistoric: 35 } };
const NO_CHAT = { conversation: { found: false, startedAt: null, endedAt: null } };

describe('decide: one case per verdict', () => {
  const cases: [Verdict, CheckFacts, boolean][] = [
    ['not_found', facts(null), false],
    ['excluded_calibration', facts(found({ director: { calibratedScorecardId: 'sc-0' }, ...MISSING })), false],
    ['excluded_non_original', facts(found({ director: { scorecardType: 3 }, ...MISSING })), false],
    ['no_scores', facts(found({ scores: { rows: 0, criteria: 0 }, historic: { rows: 0, criteria: 0, scoresWithoutHistoric: 0 } })), false],
    ['conversation_missing', facts(found({ ...MISSING, ...NO_CHAT })), false],
    ['missing_historic', facts(found(MISSING)), true],
    ['partial_historic', facts(found({ historic: { rows: 20, criteria: 20, scoresWithoutHistoric: 15 } })), true],
    ['missing_clickhouse', facts(found({ clickhouse: { status: 'checked', criteria: 0, narrowed: false } })), true],
    ['healthy', facts(found()), false],
  ];
  it('covers every verdict', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual([...VERDICTS].sort());
  });
  it.each(cases)('%s', (verdict, input, repairable) => {
    const d = decide(input);
    expect(d.verdict).toBe(verdict);
    expect(d.repairable).toBe(repairable);
    expect(d.summary.length).toBeGreaterThan(10);
    expect(d.evidence.length).toBeGreaterThan(0);
  });
});

describe('decide: order and details', () => {
  it('calibration beats non-original, no scores and missing', () => {
    const f = found({ director: { calibratedScorecardId: 'sc-0', scorecardType: 2 }, scores: { rows: 0, criteria: 0 }, ...MISSING, ...NO_CHAT });
    expect(decide(facts(f)).verdict).toBe('excluded_calibration');
  });

  it('non-original beats no scores; type 0 and null are both original', () => {
    expect(decide(facts(found({ director: { scorecardType: 1 }, scores: { rows: 0, criteria: 0 } }))).verdict).toBe('excluded_non_original');
    expect(decide(facts(found({ director: { scorecardType: 0 }, ...MISSING }))).verdict).toBe('missing_historic');
  });

  it('no scores beats a missing conversation', () => {
    const f = found({ scores: { rows: 0, criteria: 0 }, historic: { rows: 0, criteria: 0, scoresWithoutHistoric: 0 }, ...NO_CHAT });
    expect(decide(facts(f)).verdict).toBe('no_scores');
  });

  it('a missing conversation is only the verdict when historic is missing too', () => {
    const partial = found({ historic: { rows: 20, criteria: 20, scoresWithoutHistoric: 15 }, ...NO_CHAT });
    const d = decide(facts(partial));
    expect(d.verdict).toBe('partial_historic');
    expect(d.repairable).toBe(false); // the writer needs the conversation
    expect(d.evidence.join('\n')).toMatch(/needs the conversation/);
    const healthy = decide(facts(found(NO_CHAT)));
    expect(healthy.verdict).toBe('healthy');
    expect(healthy.evidence.join('\n')).toContain('Conversation conv-1 is not in app.chats.');
  });

  it('a scorecard without conversation_id reads as conversation_missing', () => {
    const d = decide(facts(found({ ...MISSING, director: { conversationId: null }, conversation: { id: null, found: false, startedAt: null, endedAt: null } })));
    expect(d.verdict).toBe('conversation_missing');
    expect(d.summary).toContain('no conversation_id');
  });

  it('missing + submitted: the first submit skipped the write; times shown', () => {
    const d = decide(facts(found(MISSING)));
    expect(d.summary).toContain('2026-01-17 07:56 UTC');
    expect(d.summary).toContain('2026-01-23 10:00 UTC');
    expect(d.summary).toMatch(/first submit .* skipped it/);
    expect(d.evidence[0]).toMatch(/^The first submit .*skipUpdateHistoricScores/);
    expect(d.evidence).toContain('Created 2026-01-17 07:56 UTC; submitted 2026-01-23 10:00 UTC (6 days later).');
  });

  it('missing + unsubmitted: the create-time async write never landed', () => {
    const d = decide(facts(found({ ...MISSING, director: { submittedAt: null } })));
    expect(d.verdict).toBe('missing_historic');
    expect(d.summary).toMatch(/^Not submitted, and the create-time async historic write \(2026-01-17 07:56 UTC\) never landed/);
    expect(d.evidence).toContain('Created 2026-01-17 07:56 UTC; not submitted.');
  });

  it('partial historic beats a ClickHouse shortfall', () => {
    const f = found({ historic: { rows: 34, criteria: 34, scoresWithoutHistoric: 1 }, clickhouse: { status: 'checked', criteria: 0, narrowed: false } });
    const d = decide(facts(f));
    expect(d.verdict).toBe('partial_historic');
    expect(d.summary).toBe('1 of 35 scores have no historic row.');
  });

  it('ClickHouse: a partial count is missing_clickhouse; not configured or unreachable is never that verdict', () => {
    expect(decide(facts(found({ clickhouse: { status: 'checked', criteria: 20, narrowed: true } }))).summary).toBe(
      'In historic, but only 20 of 35 criteria are in ClickHouse.',
    );
    const off = decide(facts(found({ clickhouse: { status: 'not_configured' } })));
    expect(off.verdict).toBe('healthy');
    expect(off.evidence).toContain('ClickHouse not configured: that tier was not checked.');
    const down = decide(facts(found({ clickhouse: { status: 'unavailable', message: 'ECONNREFUSED' } })));
    expect(down.verdict).toBe('healthy');
    expect(down.evidence).toContain('ClickHouse could not be checked: ECONNREFUSED');
  });

  it('not found in a fan-out names the customers asked and the unreachable ones', () => {
    const d = decide(
      facts(null, {
        customerGiven: false,
        searched: ['rentokil', 'spirit', 'nclh'],
        unreachable: [{ customer: 'nclh', message: 'Cannot reach the database of nclh/us-east-1.' }],
      }),
    );
    expect(d.summary).toBe('Not in any of the 2 customers searched (rentokil, spirit); could not reach nclh.');
    expect(d.evidence).toContain('nclh: Cannot reach the database of nclh/us-east-1.');
    expect(d.evidence).toContain('The ID is a UUIDv7 minted 2026-01-17 07:56 UTC.');
  });

  it('notes an ID whose own time is far from created_at, and other customers with the same ID', () => {
    const d = decide(facts(found(), { createdAtFromId: '2025-12-01T00:00:00.000Z', alsoFoundIn: ['spirit'] }));
    expect(d.evidence.join('\n')).toMatch(/ID's own time \(2025-12-01 00:00 UTC\) is 47 days away/);
    expect(d.evidence.join('\n')).toContain('also exists in spirit');
  });

  it('gap reads minutes, hours and days', () => {
    expect(gap('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z')).toBe('1 minute');
    expect(gap('2026-01-01T00:00:00Z', '2026-01-01T05:00:00Z')).toBe('5 hours');
    expect(gap('2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z')).toBe('2 days');
  });
});
