import { SLACK_LIMITS } from './limits.js';
import type { SlackMessage } from './slack-message.js';
import { withoutTableBlocks } from './table-fallback.js';
import { tableMessages, type TableRenderOptions } from './table-blocks.js';
import type { TableModel } from '../shared/text-table.js';

// Several rendered messages as few posts as Slack allows: a thread reads better as a handful of messages than as a
// message per table. Each post stays within 50 blocks and one `table` block, also after the publisher turns
// `table` blocks into code sections for a client that cannot draw them (slack.tableBlocks: false).

type Block = SlackMessage['blocks'][number];

const isTable = (b: Block): boolean => (b as { type?: string }).type === 'table';

/** The blocks a block becomes in the worst case: a table may turn into several code sections. */
function weight(b: Block): number {
  if (!isTable(b)) return 1;
  return withoutTableBlocks({ text: 'x', blocks: [b] }).blocks?.length ?? 1;
}

/**
 * The messages' blocks, in order, in as few messages as fit. `text` is the fallback text of the first; later
 * ones (only when the blocks do not fit one message) get "(part i of n)".
 */
export function packMessages(messages: SlackMessage[], text: string): SlackMessage[] {
  const groups: Block[][] = [];
  let current: Block[] = [];
  let used = 0;
  let tables = 0;
  for (const b of messages.flatMap((m) => m.blocks)) {
    const w = weight(b);
    const t = isTable(b) ? 1 : 0;
    if (current.length > 0 && (used + w > SLACK_LIMITS.blocksPerMessage || tables + t > SLACK_LIMITS.tablesPerMessage)) {
      groups.push(current);
      current = [];
      used = 0;
      tables = 0;
    }
    current.push(b);
    used += w;
    tables += t;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((blocks, i) => ({ text: groups.length > 1 ? `${text} (part ${i + 1} of ${groups.length})` : text, blocks }));
}

/** Whether a table can be one Slack `table` block (with its header row). */
function fitsOneTableBlock(model: TableModel): boolean {
  return model.rows.length < SLACK_LIMITS.tableRows && model.columns.length <= SLACK_LIMITS.tableCells;
}

/**
 * Tables in one message: Slack draws one `table` block a message, so `primary` (when it fits one block and table
 * blocks are on) is that block and the others are monospace code sections, each under its own heading.
 */
export function tablesMessage(models: TableModel[], opts: TableRenderOptions & { primary?: TableModel; text: string }): SlackMessage[] {
  const native = (opts.tableBlocks ?? true) && opts.primary !== undefined && fitsOneTableBlock(opts.primary) ? opts.primary : null;
  const parts = models
    .filter((m) => m.rows.length > 0)
    .flatMap((m) => tableMessages(m, { subject: opts.subject, tableBlocks: m === native }));
  return packMessages(parts, opts.text);
}
