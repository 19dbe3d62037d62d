import { z } from 'zod';
import { BotError } from '../shared/errors.js';

// Pure: `/scorecard-gap silence <customer|all> <duration> <reason>`, `silence list` and `unsilence <id|customer|all>`
// parsed at the boundary (zod); bad text is a BAD_INPUT or UNKNOWN_CUSTOMER error thrown before anything is
// recorded, so the adapter answers it with the usage and an example.

export const SILENCE_WORDS = ['silence', 'unsilence'] as const;
/** Longer planned work is a config entry (`silences:`), reviewed like any other change. */
export const MAX_SILENCE_MS = 7 * 86_400_000;

export type SilenceCommand =
  | { action: 'silence'; customer: string; durationMs: number; duration: string; reason: string }
  | { action: 'list' }
  | { action: 'unsilence'; id: string }
  | { action: 'unsilence'; customer: string };

const CUSTOMER = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DURATION = /^([1-9]\d{0,3})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const silenceArgs = z.object({
  customer: z.string().regex(CUSTOMER, 'a customer name or "all"'),
  duration: z.string().regex(DURATION, 'a duration such as 30m, 4h or 2d'),
  reason: z.string().trim().min(3, 'a reason of a few words').max(200, 'at most 200 characters'),
});

export function silenceExample(customer = 'acme'): string {
  return `/scorecard-gap silence ${customer} 4h planned migration`;
}

export function durationMs(text: string): number | null {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

function unknownCustomer(raw: string, known: readonly string[]): BotError {
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return new BotError('UNKNOWN_CUSTOMER', `I don't know a customer called "${shown}", so nothing was silenced.`, {
    hint: `Known customers: ${known.join(', ')}, or "all". Example: ${silenceExample(known[0])}`,
  });
}

/** Parses the whole command text (its first word is "silence" or "unsilence"). */
export function parseSilenceCommand(text: string, known: readonly string[]): SilenceCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = (words[0] ?? '').toLowerCase();
  const example = silenceExample(known[0]);
  if (verb === 'unsilence') {
    if (words.length !== 2) throw new BotError('BAD_INPUT', 'Name one silence to end: its number or its customer.', { hint: `Example: /scorecard-gap unsilence 12, or /scorecard-gap unsilence ${known[0] ?? 'acme'}` });
    const target = words[1]!.replace(/^#/, '').toLowerCase();
    if (/^\d{1,18}$/.test(target)) return { action: 'unsilence', id: target };
    if (target !== 'all' && (!CUSTOMER.test(target) || !known.includes(target))) throw unknownCustomer(words[1]!, known);
    return { action: 'unsilence', customer: target };
  }
  if (words.length === 2 && words[1]!.toLowerCase() === 'list') return { action: 'list' };
  if (words.length < 4) {
    throw new BotError('BAD_INPUT', 'A silence needs a customer (or "all"), a duration and a reason.', { hint: `Example: ${example}` });
  }
  const parsed = silenceArgs.safeParse({ customer: words[1]!.toLowerCase(), duration: words[2]!.toLowerCase(), reason: words.slice(3).join(' ') });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    if (field === 'customer') throw unknownCustomer(words[1]!, known);
    throw new BotError('BAD_INPUT', `The ${field} "${truncated(field === 'reason' ? words.slice(3).join(' ') : words[2]!)}" is not ${issue.message}; nothing was silenced.`, {
      hint: `Example: ${example}`,
    });
  }
  const { customer, duration, reason } = parsed.data;
  if (customer !== 'all' && !known.includes(customer)) throw unknownCustomer(words[1]!, known);
  const ms = durationMs(duration)!;
  if (ms > MAX_SILENCE_MS) {
    throw new BotError('BAD_INPUT', `A silence from Slack lasts at most 7 days (${duration} asked); nothing was silenced.`, {
      hint: `Longer planned work goes under \`silences:\` in the config file. Example: ${example}`,
    });
  }
  return { action: 'silence', customer, durationMs: ms, duration, reason };
}

const truncated = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);
