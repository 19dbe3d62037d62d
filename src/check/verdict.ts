import { formatDateTime, formatInt, plural } from '../shared/format.js';
import type {
  ClickhouseTierState,
  ConversationTier,
  DirectorTier,
  HistoricTier,
  ScoresTier,
  Unreachable,
  Verdict,
} from './check-result.js';

// The incident report's "Possible Reasons for Missing Historic Record" as a decision table. Pure: facts in,
// verdict + sentence + evidence + repairable out. The first matching row wins:
//
//   1 not_found              no director.scorecards row in any customer searched
//   2 excluded_calibration   calibrated_scorecard_id set: asyncScorecardWork returns early, by design
//   3 excluded_non_original  scorecard_type not null/0 (appeal, calibration response): create skips it, by design
//   4 no_scores              no director.scores rows: nothing to write
//   5 conversation_missing   no historic rows and the conversation is not in app.chats: the writer fails early
//   6 missing_historic       no historic rows (submitted: first submit skipped it; unsubmitted: create's async write)
//   7 partial_historic       some scores have no historic row
//   8 missing_clickhouse     fewer criteria in ClickHouse than in historic (only when ClickHouse was checked)
//   9 healthy
//
// Repairable (the Slack "Backfill this scorecard" button): verdicts 6-8, and only with scores to write and the
// conversation present, since the writer needs both. conversation_missing is therefore never repairable.

export interface FoundFacts {
  customer: string;
  profile: string;
  director: DirectorTier;
  scores: ScoresTier;
  historic: HistoricTier;
  clickhouse: ClickhouseTierState;
  conversation: ConversationTier;
}

export interface CheckFacts {
  id: string;
  createdAtFromId: string | null;
  /** null when no customer searched has the scorecard. */
  found: FoundFacts | null;
  /** Customers asked (reachable or not); one when the customer was given. */
  searched: string[];
  /** True when the caller named the customer (no fan-out). */
  customerGiven: boolean;
  unreachable: Unreachable[];
  /** Other customers that also have a scorecard with this ID (the first in config order is reported). */
  alsoFoundIn?: string[];
}

export interface Decision {
  verdict: Verdict;
  summary: string;
  evidence: string[];
  repairable: boolean;
}

const REPAIRABLE: ReadonlySet<Verdict> = new Set(['missing_historic', 'partial_historic', 'missing_clickhouse']);

export function decide(facts: CheckFacts): Decision {
  const f = facts.found;
  if (!f) return notFound(facts);
  const { director: d, scores, historic, clickhouse: ch, conversation: conv } = f;
  const created = formatDateTime(d.createdAt);
  const factLines = tierEvidence(facts, f);
  const done = (verdict: Verdict, summary: string, cause: string[]): Decision => {
    const canRepair = REPAIRABLE.has(verdict) && scores.rows > 0 && conv.found;
    const repairNote = !REPAIRABLE.has(verdict)
      ? []
      : canRepair
        ? ['A backfill can rewrite it from director.scores.']
        : ['Not repairable by a backfill: the writer needs the conversation, and it is missing.'];
    return { verdict, summary, evidence: [...cause, ...factLines, ...repairNote], repairable: canRepair };
  };

  if (d.calibratedScorecardId !== null) {
    return done('excluded_calibration', `It calibrates scorecard ${d.calibratedScorecardId}, and the historic write skips calibration scorecards by design.`, [
      'calibrated_scorecard_id is set, so the async historic write returns early; it is not counted as missing.',
    ]);
  }
  if (d.scorecardType !== null && d.scorecardType !== 0) {
    return done(
      'excluded_non_original',
      `Type ${d.scorecardType} (an appeal or a calibration response): the create-time historic write skips it by design.`,
      ['Only original scorecards (type null/0) are written at create time; this one is not counted as missing.'],
    );
  }
  if (scores.rows === 0) {
    return done('no_scores', 'director.scores has no rows for it, so there is nothing to write to historic.', []);
  }
  if (historic.rows === 0 && !conv.found) {
    const what = conv.id === null ? 'it has no conversation_id' : `its conversation ${conv.id} is not in app.chats`;
    return done('conversation_missing', `Not in historic because ${what}: the async writer fails early.`, [
      `Look for "failed to find conversation" in the logs around ${created}.`,
    ]);
  }
  if (historic.rows === 0) {
    if (d.submittedAt !== null) {
      return done(
        'missing_historic',
        `Created ${created}; the create-time historic write never landed, and the first submit (${formatDateTime(d.submittedAt)}) skipped it.`,
        [
          'The first submit of a normal scorecard skips the historic write (skipUpdateHistoricScores), assuming create already wrote it.',
          `Look for "failed to update the historic.scorecard_scores" in the logs around ${created}.`,
        ],
      );
    }
    return done(
      'missing_historic',
      `Not submitted, and the create-time async historic write (${created}) never landed.`,
      [
        'Likely a timeout, a DB error or a cancelled context in asyncScorecardWork; nothing retries it.',
        `Look for "failed to update the historic.scorecard_scores" in the logs around ${created}.`,
      ],
    );
  }
  if (historic.scoresWithoutHistoric > 0) {
    return done(
      'partial_historic',
      `${formatInt(historic.scoresWithoutHistoric)} of ${plural(scores.rows, 'score')} have no historic row.`,
      [],
    );
  }
  if (ch.status === 'checked' && ch.criteria < historic.criteria) {
    const what = ch.criteria === 0 ? 'absent from ClickHouse' : `only ${formatInt(ch.criteria)} of ${plural(historic.criteria, 'criterion', 'criteria')} are in ClickHouse`;
    return done('missing_clickhouse', `In historic, but ${what}.`, []);
  }
  const chNote = ch.status === 'checked' ? ' and in ClickHouse' : ch.status === 'not_configured' ? ' (ClickHouse not configured)' : ' (ClickHouse could not be checked)';
  return done('healthy', `All ${plural(scores.rows, 'score')} are in historic${chNote}.`, []);
}

function notFound(facts: CheckFacts): Decision {
  const down = new Set(facts.unreachable.map((u) => u.customer));
  const reached = facts.searched.filter((c) => !down.has(c));
  const unreachableText = facts.unreachable.map((u) => u.customer).join(', ');
  let summary: string;
  if (facts.customerGiven) {
    summary = `${facts.searched.join(', ')} has no scorecard with this ID.`;
  } else {
    summary =
      reached.length === 1
        ? `Not in ${reached[0]}, the one customer that answered`
        : `Not in any of the ${plural(reached.length, 'customer')} searched (${reached.join(', ')})`;
    summary += facts.unreachable.length ? `; could not reach ${unreachableText}.` : '.';
  }
  const evidence = ['No row in director.scorecards with this ID.'];
  if (facts.createdAtFromId) evidence.push(`The ID is a UUIDv7 minted ${formatDateTime(facts.createdAtFromId)}.`);
  for (const u of facts.unreachable) evidence.push(`${u.customer}: ${u.message}`);
  return { verdict: 'not_found', summary, evidence, repairable: false };
}

/** The plain facts of every tier, after the verdict's own lines. */
function tierEvidence(facts: CheckFacts, f: FoundFacts): string[] {
  const { director: d, scores, historic, clickhouse: ch, conversation: conv } = f;
  const out: string[] = [];
  out.push(
    d.submittedAt === null
      ? `Created ${formatDateTime(d.createdAt)}; not submitted.`
      : `Created ${formatDateTime(d.createdAt)}; submitted ${formatDateTime(d.submittedAt)} (${gap(d.createdAt, d.submittedAt)} later).`,
  );
  if (facts.createdAtFromId) {
    const off = Math.abs(Date.parse(facts.createdAtFromId) - Date.parse(d.createdAt));
    if (off > 86_400_000) out.push(`The ID's own time (${formatDateTime(facts.createdAtFromId)}) is ${gap(d.createdAt, facts.createdAtFromId)} away from created_at.`);
  }
  out.push(`${plural(scores.rows, 'row')} in director.scores (${plural(scores.criteria, 'criterion', 'criteria')}).`);
  out.push(
    historic.rows === 0
      ? 'No rows in historic.scorecard_scores.'
      : `${plural(historic.rows, 'row')} in historic.scorecard_scores (${plural(historic.criteria, 'criterion', 'criteria')})` +
          (historic.scoresWithoutHistoric > 0 ? `; ${formatInt(historic.scoresWithoutHistoric)} of the scores have none.` : '.'),
  );
  if (ch.status === 'checked') out.push(ch.criteria === 0 ? 'No rows in ClickHouse.' : `${plural(ch.criteria, 'criterion', 'criteria')} in ClickHouse.`);
  else if (ch.status === 'not_configured') out.push('ClickHouse not configured: that tier was not checked.');
  else out.push(`ClickHouse could not be checked: ${ch.message}`);
  if (conv.id === null) out.push('The scorecard has no conversation_id.');
  else if (!conv.found) out.push(`Conversation ${conv.id} is not in app.chats.`);
  else {
    const times = [conv.startedAt && `started ${formatDateTime(conv.startedAt)}`, conv.endedAt ? `ended ${formatDateTime(conv.endedAt)}` : 'not ended'];
    out.push(`Conversation ${conv.id} is in app.chats (${times.filter(Boolean).join(', ')}).`);
  }
  if (facts.alsoFoundIn?.length) out.push(`The same ID also exists in ${facts.alsoFoundIn.join(', ')}; this check covers ${f.customer}.`);
  return out;
}

/** A human distance between two instants: '45 min', '5 h', '6 days'. */
export function gap(fromIso: string, toIso: string): string {
  const ms = Math.abs(Date.parse(toIso) - Date.parse(fromIso));
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.round(ms / 86_400_000), 'day');
}
