import { BotError } from '../../shared/errors.js';
import { parsePeriod, type Period } from '../../period/parse-period.js';

export interface GapInput {
  customer: string; // a configured name or 'all'
  period: Period;
}

const CUSTOMER = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Examples with customers this bot has (a person copies them as they are). */
function examples(known: string[]): { first: string; more: string } {
  const [a = 'rentokil', b = a, c = b] = known;
  return { first: `${a} jan-2026`, more: `all jan-2026, ${a} 2026-01-15..2026-01-28, ${b} 2026-01-23, ${c} last-14d` };
}

/** Parses "<customer|all> <period>" as typed in Slack or on the command line; nothing runs on bad input. */
export function parseGapInput(text: string, knownCustomers: string[], now: Date): GapInput {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length !== 2) {
    throw new BotError('BAD_INPUT', words.length < 2 ? 'I need a customer and a period.' : `I expected two words, got ${words.length}.`, {
      hint: `Example: ${examples(knownCustomers).first}  (or: ${examples(knownCustomers).more})`,
    });
  }
  const [rawCustomer = '', rawPeriod = ''] = words;
  const customer = rawCustomer.toLowerCase();
  if (customer !== 'all' && (!CUSTOMER.test(customer) || !knownCustomers.includes(customer))) {
    const shown = rawCustomer.length > 40 ? `${rawCustomer.slice(0, 40)}…` : rawCustomer;
    throw new BotError('UNKNOWN_CUSTOMER', `I don't know a customer called "${shown}".`, {
      hint: `Known customers: ${knownCustomers.join(', ')}, or "all". Example: ${examples(knownCustomers).first}`,
    });
  }
  return { customer, period: parsePeriod(rawPeriod, now) };
}
