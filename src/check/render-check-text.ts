import { formatDateTime, formatInt, plural } from '../shared/format.js';
import { textTableLines } from '../shared/text-table.js';
import { VERDICT_TITLES, type CheckResult } from './check-result.js';

// Terminal text for one scorecard check: where it was found, the tiers as a compact table, the verdict sentence
// and the evidence. Pure; the Slack renderer reuses the tier rows.

export const TIER_COLUMNS = [
  { header: 'Tier', align: 'left' as const },
  { header: 'State', align: 'left' as const },
  { header: 'Detail', align: 'left' as const },
];

/** [tier, state, detail] per tier; empty when the scorecard was not found. */
export function checkTierRows(result: CheckResult): string[][] {
  const { director: d, scores, historic, clickhouse: ch, conversation: conv } = result.tiers;
  if (!d) return [];
  const rows: string[][] = [];
  const director = [
    `created ${formatDateTime(d.createdAt)}`,
    d.submittedAt ? `submitted ${formatDateTime(d.submittedAt)}` : 'not submitted',
    `type ${d.scorecardType ?? 'null'}`,
  ];
  if (d.calibratedScorecardId) director.push(`calibrates ${d.calibratedScorecardId}`);
  if (d.templateTitle || d.templateId) director.push(d.templateTitle ? `"${d.templateTitle}"` : `template ${d.templateId}`);
  rows.push(['director', 'found', director.join(' · ')]);
  if (scores) rows.push(['scores', plural(scores.rows, 'row'), plural(scores.criteria, 'criterion', 'criteria')]);
  if (historic) {
    const detail =
      historic.rows === 0
        ? '–'
        : historic.scoresWithoutHistoric > 0
          ? `${plural(historic.criteria, 'criterion', 'criteria')} · ${formatInt(historic.scoresWithoutHistoric)} scores without a row`
          : plural(historic.criteria, 'criterion', 'criteria');
    rows.push(['historic', plural(historic.rows, 'row'), detail]);
  }
  if (ch) {
    if (ch.status === 'checked') {
      rows.push(['clickhouse', plural(ch.criteria, 'criterion', 'criteria'), ch.narrowed ? 'found within ±1 day of creation' : 'full lookup']);
    } else if (ch.status === 'not_configured') {
      rows.push(['clickhouse', 'not checked', 'not configured']);
    } else {
      rows.push(['clickhouse', 'unavailable', ch.message]);
    }
  }
  if (conv) {
    const state = conv.id === null ? 'none' : conv.found ? 'found' : 'missing';
    const detail = [conv.id ?? 'no conversation_id'];
    if (conv.startedAt) detail.push(`started ${formatDateTime(conv.startedAt)}`);
    if (conv.found) detail.push(conv.endedAt ? `ended ${formatDateTime(conv.endedAt)}` : 'not ended');
    rows.push(['conversation', state, detail.join(' · ')]);
  }
  return rows;
}

/** "rentokil/us-east-1", or the customers searched when none has it. */
export function whereLabel(result: CheckResult): string {
  if (result.customer) return `${result.customer}/${result.profile ?? '?'}`;
  return `${plural(result.searched.length, 'customer')} searched`;
}

export function renderCheckText(result: CheckResult): string {
  const lines = [`Scorecard ${result.id} · ${whereLabel(result)}`];
  if (result.createdAtFromId) lines.push(`ID time: ${formatDateTime(result.createdAtFromId)} (UUIDv7)`);
  const rows = checkTierRows(result);
  if (rows.length) lines.push('', ...textTableLines({ columns: TIER_COLUMNS, rows }));
  lines.push('', `${VERDICT_TITLES[result.verdict]}: ${result.summary}`);
  for (const e of result.evidence) lines.push(`  - ${e}`);
  if (result.unreachable.length && result.verdict !== 'not_found') {
    lines.push('', `Not searched (unreachable): ${result.unreachable.map((u) => u.customer).join(', ')}`);
  }
  return lines.join('\n');
}
