import type { KnownBlock } from '@slack/types';
import { formatDateTime, formatInt, formatRatio, truncate } from '../shared/format.js';
import { escapeHint, shownError, type ShownError } from '../slack/ephemeral.js';
import { SLACK_LIMITS } from '../slack/limits.js';
import { contextLine, escapeMrkdwn, mention, mrkdwnSection, packLines } from '../slack/mrkdwn.js';
import type { EphemeralMessage, SlackMessage } from '../slack/slack-message.js';
import { silenceExample } from './silence-input.js';
import type { ActiveSilence } from './silences.js';

// Pure Block Kit renderers of silences: the usage for bad input, the confirmation in the channel, the list, the
// end of a silence, the one message that says a problem held by a silence is still open, and the App Home section.

const who = (customer: string): string => (customer === 'all' ? 'every customer' : customer);
/** 4h -> "4 hours", 90m -> "90 minutes", 2d -> "2 days". */
export function spanText(ms: number): string {
  const [n, unit] = ms % 86_400_000 === 0 ? [ms / 86_400_000, 'day'] : ms % 3_600_000 === 0 ? [ms / 3_600_000, 'hour'] : [Math.round(ms / 60_000), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

const ref = (s: ActiveSilence): string => (s.id ? `#${s.id}` : 'from the config file');

export function silenceUsage(error: ShownError, customerExample?: string): EphemeralMessage {
  const { message, hint } = shownError(error);
  const usage = 'Usage: `/scorecard-gap silence <customer|all> <duration> <reason>`, `/scorecard-gap silence list`, `/scorecard-gap unsilence <number|customer>`';
  const blocks: KnownBlock[] = [
    mrkdwnSection(`:warning: ${escapeMrkdwn(message)}`),
    mrkdwnSection(`${usage}\nFor example: \`${escapeMrkdwn(silenceExample(customerExample))}\` (durations: 30m, 4h, 2d; at most 7 days)`),
    ...(hint ? [contextLine(`:bulb: ${escapeHint(hint)}`)] : []),
  ];
  return { response_type: 'ephemeral', text: truncate(`${message} Usage: /scorecard-gap silence <customer|all> <duration> <reason>`, SLACK_LIMITS.sectionText), blocks };
}

/** In the channel: who silenced what, until when, why, and how to end it early. */
export function silencedMessage(s: ActiveSilence & { id: string }): SlackMessage {
  const text = `${s.by ? mention(s.by) : 'Someone'} silenced the watchdog for ${escapeMrkdwn(who(s.customer))} for ${spanText(s.to.getTime() - s.from.getTime())}, until ${formatDateTime(s.to.toISOString())}: ${escapeMrkdwn(s.reason)} (silence #${s.id}).`;
  return {
    text,
    blocks: [
      mrkdwnSection(`:mute: ${text}`),
      contextLine(`Problems are still recorded and counted in the metrics; no alert, follow-up or resolution is posted until then. End it early: \`/scorecard-gap unsilence ${s.id}\``),
    ],
  };
}

export function unsilencedMessage(ended: readonly ActiveSilence[], by: string): SlackMessage {
  const list = ended.map((s) => `${escapeMrkdwn(who(s.customer))} (${ref(s)}, ${escapeMrkdwn(s.reason)})`).join(', ');
  const text = `${mention(by)} ended the silence of ${list}. Problems still open are posted at the next audit.`;
  return { text, blocks: [mrkdwnSection(`:loud_sound: ${text}`)] };
}

function silenceLine(s: ActiveSilence): string {
  const by = s.by ? `, by ${mention(s.by)}` : '';
  return `• *${escapeMrkdwn(who(s.customer))}* until ${formatDateTime(s.to.toISOString())} (${ref(s)}${by}): ${escapeMrkdwn(truncate(s.reason, 200))}`;
}

export function silenceListMessage(active: readonly ActiveSilence[]): EphemeralMessage {
  if (active.length === 0) return { response_type: 'ephemeral', text: 'No silence is in force.', blocks: [mrkdwnSection('No silence is in force.')] };
  const text = `${active.length === 1 ? 'One silence is' : `${formatInt(active.length)} silences are`} in force:`;
  return { response_type: 'ephemeral', text, blocks: [mrkdwnSection(text), ...packLines(active.map(silenceLine)).slice(0, 40).map(mrkdwnSection)] };
}

export interface HeldProblem {
  customer: string;
  population: string;
  missing: number;
  total: number;
  /** When the silence first held it. */
  silencedAt: string;
}

/** In an announced alert's thread, once: the silence ended and the problem is still open, with its numbers now. */
export function silenceEndedMessage(p: HeldProblem, toldMissing: number): SlackMessage {
  const was = toldMissing !== p.missing ? `, was ${formatInt(toldMissing)} when last told` : '';
  const text = `The silence of ${p.customer} has ended and ${p.customer} ${p.population} is still open: ${formatInt(p.missing)} of ${formatInt(p.total)} missing (${formatRatio(p.missing, p.total)})${was}. Silenced since ${formatDateTime(p.silencedAt)}.`;
  return { text, blocks: [mrkdwnSection(`:loud_sound: ${escapeMrkdwn(text)}`)] };
}

/** The first post of an alert a silence held: the alert itself (current numbers), saying why it comes now. */
export function withSilenceEnded<M extends { text: string; blocks?: unknown[] }>(message: M, p: Pick<HeldProblem, 'customer' | 'silencedAt'>, what = 'this problem is'): M {
  const note = `The silence of ${p.customer} has ended and ${what} still open (held since ${formatDateTime(p.silencedAt)}).`;
  return { ...message, text: `${note} ${message.text}`, blocks: [contextLine(`:loud_sound: ${escapeMrkdwn(note)}`), ...(message.blocks ?? [])] };
}

/** The App Home's section: the silences in force (at most 10 lines). */
export function homeSilenceBlocks(active: readonly ActiveSilence[]): KnownBlock[] {
  if (active.length === 0) return [];
  const lines = active.slice(0, 10).map(silenceLine);
  if (active.length > 10) lines.push(`… and ${formatInt(active.length - 10)} more (\`/scorecard-gap silence list\`)`);
  return [mrkdwnSection(truncate(`:mute: *Silenced* (recorded and counted, nothing posted)\n${lines.join('\n')}`, SLACK_LIMITS.sectionText))];
}
