// Slack's published Block Kit and message limits, written down here from Slack's own reference pages and NOT
// imported from the project (src/slack/blocks/limits.ts), so that the emulated Slack can catch a limit the
// project's own table got wrong or does not check. Each limit names the docs.slack.dev page it comes from.
//
// blockKitViolations() walks a message payload (chat.postMessage / chat.update / chat.postEphemeral arguments, or
// a response_url body) and lists every way it breaks these limits; an empty list means Slack would accept it.

export const PUBLISHED_LIMITS = {
  // "Blocks" (docs.slack.dev/reference/block-kit/blocks): "You can include up to 50 blocks in each message".
  blocksPerMessage: 50,
  // chat.postMessage (docs.slack.dev/reference/methods/chat.postMessage), `text`: Slack truncates messages over
  // 40,000 characters. A cut message is a broken message for us, so more than 40,000 counts as a violation.
  messageText: 40_000,
  // "Text object" (docs.slack.dev/reference/block-kit/composition-objects/text-object), `text`: "The minimum length
  // is 1 and maximum length is 3000 characters." Applies to every plain_text / mrkdwn object, wherever it is.
  textObjectMin: 1,
  textObjectMax: 3_000,
  // "Section block" (docs.slack.dev/reference/block-kit/blocks/section-block): text at most 3,000 characters;
  // `fields`: "Maximum number of items is 10. Maximum length for the text in each item is 2000 characters."
  sectionText: 3_000,
  sectionFields: 10,
  sectionFieldText: 2_000,
  // "Header block" (docs.slack.dev/reference/block-kit/blocks/header-block): a plain_text object, "Maximum length
  // for the text in this field is 150 characters."
  headerText: 150,
  // "Context block" (docs.slack.dev/reference/block-kit/blocks/context-block), `elements`: "Maximum number of
  // items is 10."
  contextElements: 10,
  // "Actions block" (docs.slack.dev/reference/block-kit/blocks/actions-block), `elements`: "There is a maximum of
  // 25 elements in each action block."
  actionsElements: 25,
  // "Button element" (docs.slack.dev/reference/block-kit/block-elements/button-element): text (plain_text) at most
  // 75 characters, action_id at most 255, url at most 3,000, value at most 2,000.
  buttonText: 75,
  actionId: 255,
  buttonUrl: 3_000,
  buttonValue: 2_000,
  // Every block's `block_id` (e.g. "Table block", "Header block" field tables): "Maximum length for this field is
  // 255 characters."
  blockId: 255,
  // "Confirmation dialog object" (docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object):
  // title 100, text 300, confirm and deny 30 characters.
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  // "Table block" (docs.slack.dev/reference/block-kit/blocks/table-block), `rows`: "Maximum 100 rows. Each row
  // object is an array with a max of 20 table cells."; `column_settings`: "Maximum 20 items". Its usage info: only
  // one table block a message (more is refused with invalid_attachments).
  tableRows: 100,
  tableCells: 20,
  tableColumnSettings: 20,
  tablesPerMessage: 1,
  // "Markdown block" (docs.slack.dev/reference/block-kit/blocks/markdown-block): the cumulative limit for all
  // markdown blocks in a single payload is 12,000 characters.
  markdownTotal: 12_000,
} as const;

const L = PUBLISHED_LIMITS;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (v: unknown): string | undefined => (isObj(v) && typeof v.text === 'string' ? v.text : undefined);

/** Every plain_text / mrkdwn text object inside `value`, with a JSON-pointer-like path. */
function textObjects(value: unknown, path: string, out: Array<{ path: string; type: string; text: string }>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => textObjects(v, `${path}/${i}`, out));
    return;
  }
  if (!isObj(value)) return;
  if ((value.type === 'plain_text' || value.type === 'mrkdwn') && typeof value.text === 'string') {
    out.push({ path, type: value.type, text: value.text });
    return;
  }
  for (const [k, v] of Object.entries(value)) textObjects(v, `${path}/${k}`, out);
}

function maxLen(out: string[], at: string, what: string, text: string | undefined, max: number): void {
  if (text !== undefined && text.length > max) out.push(`${at}: ${what} is ${text.length} chars (max ${max})`);
}

function checkButton(out: string[], at: string, e: Obj): void {
  maxLen(out, at, 'button text', textOf(e.text), L.buttonText);
  if (isObj(e.text) && e.text.type !== 'plain_text') out.push(`${at}: button text must be plain_text`);
  if (typeof e.action_id === 'string') maxLen(out, at, 'action_id', e.action_id, L.actionId);
  if (typeof e.value === 'string') maxLen(out, at, 'button value', e.value, L.buttonValue);
  if (typeof e.url === 'string') maxLen(out, at, 'button url', e.url, L.buttonUrl);
  if (isObj(e.confirm)) {
    maxLen(out, at, 'confirm title', textOf(e.confirm.title), L.confirmTitle);
    maxLen(out, at, 'confirm text', textOf(e.confirm.text), L.confirmText);
    maxLen(out, at, 'confirm button', textOf(e.confirm.confirm), L.confirmButton);
    maxLen(out, at, 'deny button', textOf(e.confirm.deny), L.confirmButton);
  }
}

function checkBlock(out: string[], b: unknown, at: string): { table: boolean; markdown: number } {
  if (!isObj(b) || typeof b.type !== 'string') {
    out.push(`${at}: not a block`);
    return { table: false, markdown: 0 };
  }
  if (typeof b.block_id === 'string') maxLen(out, at, 'block_id', b.block_id, L.blockId);
  switch (b.type) {
    case 'section': {
      if (b.text === undefined && b.fields === undefined) out.push(`${at}: section needs text or fields`);
      maxLen(out, at, 'section text', textOf(b.text), L.sectionText);
      if (Array.isArray(b.fields)) {
        if (b.fields.length > L.sectionFields) out.push(`${at}: ${b.fields.length} fields (max ${L.sectionFields})`);
        b.fields.forEach((f, i) => maxLen(out, at, `field ${i}`, textOf(f), L.sectionFieldText));
      }
      if (isObj(b.accessory) && b.accessory.type === 'button') checkButton(out, `${at} accessory`, b.accessory);
      break;
    }
    case 'header':
      maxLen(out, at, 'header text', textOf(b.text), L.headerText);
      if (!isObj(b.text) || b.text.type !== 'plain_text') out.push(`${at}: header text must be a plain_text object`);
      break;
    case 'context': {
      const n = Array.isArray(b.elements) ? b.elements.length : 0;
      if (n === 0 || n > L.contextElements) out.push(`${at}: ${n} context elements (1 to ${L.contextElements})`);
      break;
    }
    case 'actions': {
      const elements = Array.isArray(b.elements) ? b.elements : [];
      if (elements.length === 0 || elements.length > L.actionsElements) out.push(`${at}: ${elements.length} actions elements (1 to ${L.actionsElements})`);
      elements.forEach((e, i) => {
        if (isObj(e) && e.type === 'button') checkButton(out, `${at} element ${i}`, e);
      });
      break;
    }
    case 'table': {
      const rows = Array.isArray(b.rows) ? b.rows : [];
      if (rows.length === 0 || rows.length > L.tableRows) out.push(`${at}: ${rows.length} table rows (1 to ${L.tableRows})`);
      rows.forEach((r, i) => {
        const cells = Array.isArray(r) ? r.length : 0;
        if (cells > L.tableCells) out.push(`${at}: row ${i} has ${cells} cells (max ${L.tableCells})`);
      });
      if (Array.isArray(b.column_settings) && b.column_settings.length > L.tableColumnSettings) {
        out.push(`${at}: ${b.column_settings.length} column_settings (max ${L.tableColumnSettings})`);
      }
      return { table: true, markdown: 0 };
    }
    case 'markdown':
      return { table: false, markdown: typeof b.text === 'string' ? b.text.length : 0 };
    default:
      break;
  }
  return { table: false, markdown: 0 };
}

/** Every way `payload` breaks Slack's published limits, as readable lines; empty when Slack would take it. */
export function blockKitViolations(payload: { text?: unknown; blocks?: unknown; attachments?: unknown }): string[] {
  const out: string[] = [];
  if (typeof payload.text === 'string') maxLen(out, 'message', 'text', payload.text, L.messageText);
  const lists: Array<{ at: string; blocks: unknown }> = [{ at: 'blocks', blocks: payload.blocks }];
  if (Array.isArray(payload.attachments)) {
    payload.attachments.forEach((a, i) => {
      if (isObj(a) && a.blocks !== undefined) lists.push({ at: `attachments/${i}/blocks`, blocks: a.blocks });
    });
  }
  let tables = 0;
  let markdown = 0;
  for (const { at, blocks } of lists) {
    if (blocks === undefined) continue;
    if (!Array.isArray(blocks)) {
      out.push(`${at}: not an array`);
      continue;
    }
    if (blocks.length > L.blocksPerMessage) out.push(`${at}: ${blocks.length} blocks (max ${L.blocksPerMessage})`);
    blocks.forEach((b, i) => {
      const r = checkBlock(out, b, `${at}/${i} (${isObj(b) ? String(b.type) : '?'})`);
      if (r.table) tables++;
      markdown += r.markdown;
    });
    const texts: Array<{ path: string; type: string; text: string }> = [];
    textObjects(blocks, at, texts);
    for (const t of texts) {
      if (t.text.length < L.textObjectMin) out.push(`${t.path}: empty ${t.type} text object (min ${L.textObjectMin} char)`);
      if (t.text.length > L.textObjectMax) out.push(`${t.path}: ${t.type} text object is ${t.text.length} chars (max ${L.textObjectMax})`);
    }
  }
  if (tables > L.tablesPerMessage) out.push(`${tables} table blocks in one message (max ${L.tablesPerMessage})`);
  if (markdown > L.markdownTotal) out.push(`markdown blocks hold ${markdown} chars in total (max ${L.markdownTotal})`);
  return out;
}
