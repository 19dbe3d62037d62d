import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from './slack-message.js';

// Slack's documented limits for a message and its blocks, checked before anything is posted (and by the tests
// and the Slack emulator). https://docs.slack.dev/reference/block-kit/blocks


export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  messageText: 40_000,
  sectionText: 3_000,
  sectionFields: 10,
  sectionFieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  contextText: 3_000,
  markdownText: 12_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  blockId: 255,
  tableRows: 100,
  tableCells: 20,
  tablesPerMessage: 1,
} as const;

interface TextObject {
  type?: string;
  text?: string;
}

function len(t: TextObject | undefined): number {
  return t?.text?.length ?? 0;
}

/** Every way `msg` breaks Slack's limits, as readable lines; empty when it is fine. */
export function slackLimitViolations(msg: { text?: string; blocks?: ReadonlyArray<unknown> }): string[] {
  const out: string[] = [];
  const blocks = (msg.blocks ?? []) as Array<KnownBlock & Record<string, unknown>>;
  if (!msg.text || msg.text.trim() === '') out.push('missing fallback text');
  else if (msg.text.length > SLACK_LIMITS.messageText) out.push(`text is ${msg.text.length} chars (max ${SLACK_LIMITS.messageText})`);
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) out.push(`${blocks.length} blocks (max ${SLACK_LIMITS.blocksPerMessage})`);
  const tables = blocks.filter((b) => b.type === 'table').length;
  if (tables > SLACK_LIMITS.tablesPerMessage) out.push(`${tables} table blocks (max ${SLACK_LIMITS.tablesPerMessage})`);
  let markdownTotal = 0;
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `block ${i} (${b.type})`;
    if (b.block_id !== undefined) {
      if (b.block_id.length > SLACK_LIMITS.blockId) out.push(`${at}: block_id over ${SLACK_LIMITS.blockId} chars`);
      if (blockIds.has(b.block_id)) out.push(`${at}: duplicate block_id ${b.block_id}`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'section': {
        if (!b.text && !b.fields) out.push(`${at}: needs text or fields`);
        if (len(b.text) > SLACK_LIMITS.sectionText) out.push(`${at}: text is ${len(b.text)} chars (max ${SLACK_LIMITS.sectionText})`);
        if (b.text && len(b.text) === 0) out.push(`${at}: empty text`);
        const fields = b.fields ?? [];
        if (fields.length > SLACK_LIMITS.sectionFields) out.push(`${at}: ${fields.length} fields (max ${SLACK_LIMITS.sectionFields})`);
        fields.forEach((f, j) => {
          if (len(f) > SLACK_LIMITS.sectionFieldText) out.push(`${at}: field ${j} is ${len(f)} chars (max ${SLACK_LIMITS.sectionFieldText})`);
        });
        break;
      }
      case 'header':
        if (len(b.text) > SLACK_LIMITS.headerText) out.push(`${at}: text is ${len(b.text)} chars (max ${SLACK_LIMITS.headerText})`);
        break;
      case 'context':
        if (b.elements.length > SLACK_LIMITS.contextElements) out.push(`${at}: ${b.elements.length} elements (max ${SLACK_LIMITS.contextElements})`);
        for (const e of b.elements) {
          if ('text' in e && typeof e.text === 'string' && e.text.length > SLACK_LIMITS.contextText) out.push(`${at}: element text over ${SLACK_LIMITS.contextText} chars`);
        }
        break;
      case 'markdown':
        markdownTotal += b.text.length;
        break;
      case 'actions':
        if (b.elements.length > SLACK_LIMITS.actionsElements) out.push(`${at}: ${b.elements.length} elements (max ${SLACK_LIMITS.actionsElements})`);
        for (const e of b.elements) {
          if (e.type !== 'button') continue;
          if (len(e.text) > SLACK_LIMITS.buttonText) out.push(`${at}: button text over ${SLACK_LIMITS.buttonText} chars`);
          if ((e.value?.length ?? 0) > SLACK_LIMITS.buttonValue) out.push(`${at}: button value is ${e.value?.length} chars (max ${SLACK_LIMITS.buttonValue})`);
          if ((e.action_id?.length ?? 0) > SLACK_LIMITS.actionId) out.push(`${at}: action_id over ${SLACK_LIMITS.actionId} chars`);
        }
        break;
      case 'table': {
        if (b.rows.length === 0) out.push(`${at}: no rows`);
        if (b.rows.length > SLACK_LIMITS.tableRows) out.push(`${at}: ${b.rows.length} rows (max ${SLACK_LIMITS.tableRows})`);
        const widths = new Set(b.rows.map((r) => r.length));
        if (widths.size > 1) out.push(`${at}: rows have different lengths (${[...widths].join(', ')})`);
        b.rows.forEach((r, j) => {
          if (r.length > SLACK_LIMITS.tableCells) out.push(`${at}: row ${j} has ${r.length} cells (max ${SLACK_LIMITS.tableCells})`);
          r.forEach((c, k) => {
            if (c.type === 'raw_text' && c.text.length === 0) out.push(`${at}: row ${j} cell ${k} is empty`);
          });
        });
        if ((b.column_settings?.length ?? 0) > SLACK_LIMITS.tableCells) out.push(`${at}: over ${SLACK_LIMITS.tableCells} column_settings`);
        break;
      }
      default:
        break;
    }
  });
  if (markdownTotal > SLACK_LIMITS.markdownText) out.push(`markdown blocks hold ${markdownTotal} chars (max ${SLACK_LIMITS.markdownText})`);
  return out;
}

/** Throws, listing every violation, when `msg` would be rejected or cut by Slack. */
export function assertWithinSlackLimits(msg: { text?: string; blocks?: ReadonlyArray<unknown> }): void {
  const violations = slackLimitViolations(msg);
  if (violations.length > 0) throw new Error(`Slack message over limits:\n- ${violations.join('\n- ')}`);
}
