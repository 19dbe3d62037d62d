import type { ActionsBlock, ContextBlock, KnownBlock, RawTextElement, SectionBlock, TableBlock } from '@slack/types';
import { z } from 'zod';
import { formatDateTime, truncate } from '../shared/format.js';
import { BotError } from '../shared/errors.js';
import { VERDICT_TITLES, type CheckResult } from './check-result.js';
import { TIER_COLUMNS, checkTierRows, whereLabel } from './render-check-text.js';
import { parseScorecardId } from './scorecard-id.js';

// Block Kit for one scorecard check (pure): the verdict sentence, the tiers as a table block, the evidence, and a
// "Backfill this scorecard" button when a backfill can repair it. The button's value is what the action handler
// needs to start a backfill: {id, customer}.

export const BACKFILL_ACTION_ID = 'backfill_scorecard';

export interface BackfillButtonValue {
  id: string;
  customer: string;
}

export interface CheckMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: KnownBlock[];
}

const SECTION_MAX = 3000;
const CELL_MAX = 200;

const VERDICT_EMOJI: Record<CheckResult['verdict'], string> = {
  not_found: ':mag:',
  excluded_calibration: ':information_source:',
  excluded_non_original: ':information_source:',
  no_scores: ':information_source:',
  conversation_missing: ':warning:',
  missing_historic: ':red_circle:',
  partial_historic: ':large_orange_circle:',
  missing_clickhouse: ':large_orange_circle:',
  healthy: ':white_check_mark:',
};

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function cell(text: string): RawTextElement {
  return { type: 'raw_text', text: truncate(text === '' ? '–' : text, CELL_MAX) };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_MAX) } };
}

export function checkBlocks(result: CheckResult): CheckMessage {
  const title = VERDICT_TITLES[result.verdict];
  const blocks: KnownBlock[] = [
    section(`${VERDICT_EMOJI[result.verdict]} *${esc(title)}* · \`${result.id}\` · ${esc(whereLabel(result))}\n${esc(result.summary)}`),
  ];
  if (result.createdAtFromId) {
    const context: ContextBlock = {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `ID time ${formatDateTime(result.createdAtFromId)} (UUIDv7)` }],
    };
    blocks.push(context);
  }
  const rows = checkTierRows(result);
  if (rows.length) {
    const table: TableBlock = {
      type: 'table',
      column_settings: [{ is_wrapped: false }, { is_wrapped: false }, { is_wrapped: true }],
      rows: [TIER_COLUMNS.map((c) => cell(c.header)), ...rows.map((r) => r.map(cell))],
    };
    blocks.push(table);
  }
  if (result.evidence.length) blocks.push(section(result.evidence.map((e) => `• ${esc(e)}`).join('\n')));
  if (result.repairable && result.customer) {
    const value: BackfillButtonValue = { id: result.id, customer: result.customer };
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: `scorecard_check:${result.customer}:${result.id}`,
      elements: [
        {
          type: 'button',
          action_id: BACKFILL_ACTION_ID,
          style: 'primary',
          text: { type: 'plain_text', text: 'Backfill this scorecard' },
          value: JSON.stringify(value),
        },
      ],
    };
    blocks.push(actions);
  }
  return { text: `${title}: ${result.summary}`, blocks };
}

const buttonValueSchema = z.object({ id: z.string(), customer: z.string().min(1) });

/** Reads the button's value back (the action handler's side), re-validating the ID. */
export function parseBackfillButtonValue(value: string): BackfillButtonValue {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (cause) {
    throw new BotError('BAD_INPUT', 'This button does not carry a scorecard.', { cause });
  }
  const v = buttonValueSchema.safeParse(raw);
  if (!v.success) throw new BotError('BAD_INPUT', 'This button does not carry a scorecard.');
  return { id: parseScorecardId(v.data.id).id, customer: v.data.customer };
}
