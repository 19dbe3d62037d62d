import type { ContextBlock, SectionBlock } from '@slack/types';
import { SLACK_LIMITS } from './limits.js';
import { truncate } from '../shared/format.js';

// Small Block Kit helpers shared by the renderers.

/** Escapes the three characters Slack's mrkdwn treats as markup (&, <, >). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function mrkdwnSection(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) } };
}

export function contextLine(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.contextText) }] };
}

/** Packs lines into section texts of at most 3,000 characters (a line longer than that is cut). */
export function packLines(lines: string[], max: number = SLACK_LIMITS.sectionText): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current !== '' && current.length + 1 + line.length > max) {
      out.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') out.push(current);
  return out;
}

/** A user mention when the id looks like a Slack user id, else the name as text. */
export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : escapeMrkdwn(user);
}
