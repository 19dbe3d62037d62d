import { describe, expect, it } from 'vitest';
import { slackLimitViolations } from '../../src/slack/limits.js';
import { blockKitViolations, PUBLISHED_LIMITS as L } from '../support/slack-limits.js';

// The emulated Slack's limit checker (test/support/slack-limits.ts), at and one past each published limit. The
// numbers here are Slack's (docs.slack.dev), typed out again on purpose: neither side reads the other's table.

const x = (n: number): string => 'x'.repeat(n);
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });
const button = (extra: Record<string, unknown> = {}) => ({ type: 'button', action_id: 'a', text: plain('Go'), ...extra });
const table = (rows: number, cells = 2) => ({
  type: 'table',
  rows: Array.from({ length: rows }, () => Array.from({ length: cells }, () => ({ type: 'raw_text', text: '1' }))),
});
const ok = (blocks: unknown[], text = 'fallback') => expect(blockKitViolations({ text, blocks })).toEqual([]);
const bad = (blocks: unknown[], pattern: RegExp, text = 'fallback') => {
  const v = blockKitViolations({ text, blocks });
  expect(v.length, JSON.stringify(v)).toBeGreaterThan(0);
  expect(v.join('\n')).toMatch(pattern);
};

describe("Slack's published limits, typed out from docs.slack.dev", () => {
  it('are the documented numbers', () => {
    expect(L).toMatchObject({
      blocksPerMessage: 50,
      messageText: 40_000,
      sectionText: 3_000,
      textObjectMax: 3_000,
      headerText: 150,
      contextElements: 10,
      actionsElements: 25,
      buttonText: 75,
      actionId: 255,
      blockId: 255,
      buttonValue: 2_000,
      tableRows: 100,
      tableCells: 20,
      tablesPerMessage: 1,
    });
  });
});

describe('blockKitViolations: just under / just over each limit', () => {
  it('50 blocks a message', () => {
    ok(Array.from({ length: 50 }, () => ({ type: 'divider' })));
    bad(Array.from({ length: 51 }, () => ({ type: 'divider' })), /51 blocks \(max 50\)/);
  });

  it('message text: 40,000 characters', () => {
    ok([section('a')], x(40_000));
    bad([section('a')], /text is 40001 chars/, x(40_001));
    expect(blockKitViolations({ text: x(40_001) })).toEqual(['message: text is 40001 chars (max 40000)']);
  });

  it('section text: 3,000 characters, and not empty', () => {
    ok([section(x(3_000))]);
    bad([section(x(3_001))], /section text is 3001 chars/);
    bad([section('')], /empty mrkdwn text object/);
  });

  it('section fields: 10 of at most 2,000 characters', () => {
    ok([{ type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn(x(2_000))) }]);
    bad([{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('a')) }], /11 fields \(max 10\)/);
    bad([{ type: 'section', fields: [mrkdwn(x(2_001))] }], /field 0 is 2001 chars/);
  });

  it('header text: 150 characters of plain_text', () => {
    ok([{ type: 'header', text: plain(x(150)) }]);
    bad([{ type: 'header', text: plain(x(151)) }], /header text is 151 chars \(max 150\)/);
    bad([{ type: 'header', text: mrkdwn('Title') }], /header text must be a plain_text object/);
  });

  it('context: at most 10 elements, each text object at most 3,000 characters', () => {
    ok([{ type: 'context', elements: Array.from({ length: 10 }, () => mrkdwn(x(3_000))) }]);
    bad([{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('a')) }], /11 context elements/);
    bad([{ type: 'context', elements: [mrkdwn(x(3_001))] }], /mrkdwn text object is 3001 chars \(max 3000\)/);
  });

  it('actions: at most 25 elements', () => {
    ok([{ type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` })) }]);
    bad([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }], /26 actions elements/);
  });

  it('button: text 75, action_id 255, value 2,000 characters', () => {
    ok([{ type: 'actions', elements: [button({ text: plain(x(75)), action_id: x(255), value: x(2_000) })] }]);
    bad([{ type: 'actions', elements: [button({ text: plain(x(76)) })] }], /button text is 76 chars \(max 75\)/);
    bad([{ type: 'actions', elements: [button({ action_id: x(256) })] }], /action_id is 256 chars \(max 255\)/);
    bad([{ type: 'actions', elements: [button({ value: x(2_001) })] }], /button value is 2001 chars \(max 2000\)/);
  });

  it('block_id: 255 characters', () => {
    ok([{ type: 'divider', block_id: x(255) }]);
    bad([{ type: 'divider', block_id: x(256) }], /block_id is 256 chars/);
  });

  it('table: at most 100 rows of at most 20 cells, one table a message', () => {
    ok([table(100, 20)]);
    bad([table(101)], /101 table rows \(1 to 100\)/);
    bad([table(2, 21)], /row 0 has 21 cells \(max 20\)/);
    bad([table(2), table(2)], /2 table blocks in one message \(max 1\)/);
    // A table in an attachment counts towards the same one.
    expect(blockKitViolations({ text: 't', blocks: [table(2)], attachments: [{ blocks: [table(2)] }] })).toEqual([
      '2 table blocks in one message (max 1)',
    ]);
  });

  it('markdown blocks: 12,000 characters in total', () => {
    ok([{ type: 'markdown', text: x(6_000) }, { type: 'markdown', text: x(6_000) }]);
    bad([{ type: 'markdown', text: x(6_000) }, { type: 'markdown', text: x(6_001) }], /12001 chars in total/);
  });
});

describe('breaks the project’s own limit table misses (src/slack/blocks/limits.ts)', () => {
  // Each message below is refused by Slack's published limits but passes the project's checker; the emulator
  // used that checker before, so it let these through.
  const misses: Array<[string, { text: string; blocks: unknown[] }, RegExp]> = [
    ['a section accessory button with 76-character text', { text: 't', blocks: [{ ...section('Backfill?'), accessory: button({ text: plain(x(76)) }) }] }, /accessory: button text is 76/],
    ['a confirm dialog with 301-character text', { text: 't', blocks: [{ type: 'actions', elements: [button({ confirm: { title: plain('Sure?'), text: mrkdwn(x(301)), confirm: plain('Yes'), deny: plain('No') } })] }] }, /confirm text is 301/],
    ['an empty context element', { text: 't', blocks: [{ type: 'context', elements: [mrkdwn('')] }] }, /empty mrkdwn text object/],
    ['an empty header', { text: 't', blocks: [{ type: 'header', text: plain('') }] }, /empty plain_text text object/],
    ['an actions block with no elements', { text: 't', blocks: [{ type: 'actions', elements: [] }] }, /0 actions elements/],
  ];
  it.each(misses)('%s', (_name, msg, pattern) => {
    expect(slackLimitViolations(msg)).toEqual([]);
    expect(blockKitViolations(msg).join('\n')).toMatch(pattern);
  });
});
