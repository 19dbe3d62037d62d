import { BotError } from '../shared/errors.js';

// Scorecard IDs are UUIDs (resource_id in director.scorecards, stored in lowercase). UUIDv7 ones carry their
// creation time in the first 48 bits (Unix milliseconds, RFC 9562 §5.7): free information before any query.

export const EXAMPLE_SCORECARD_ID = '019bcaf4-4b65-7838-b07d-20640fe7628e';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ScorecardId {
  /** Canonical form: lowercase, as stored. */
  id: string;
  /** The UUID version nibble (7 for time-ordered IDs). */
  version: number;
  /** Creation time embedded in a UUIDv7 (RFC 4122 variant only); null for every other UUID. */
  createdAt: Date | null;
}

/**
 * Validates a scorecard ID: a UUID in any case, with surrounding whitespace (and Slack's inline-code backticks)
 * ignored. Braces, URNs and anything else are refused with an example of what works.
 */
export function parseScorecardId(input: string): ScorecardId {
  const raw = input.trim();
  const text = /^`[^`]*`$/.test(raw) ? raw.slice(1, -1).trim() : raw;
  if (!UUID.test(text)) {
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw new BotError('BAD_INPUT', text === '' ? 'A scorecard ID is required.' : `"${shown}" is not a scorecard ID.`, {
      hint: `A scorecard ID is a UUID such as ${EXAMPLE_SCORECARD_ID} (36 characters: hex digits and 4 dashes).`,
    });
  }
  const id = text.toLowerCase();
  const version = parseInt(id.charAt(14), 16);
  return { id, version, createdAt: uuidV7Time(id) };
}

/** The Unix-millisecond timestamp of a UUIDv7, or null if the ID is not a v7 of the RFC variant. */
export function uuidV7Time(id: string): Date | null {
  if (!UUID.test(id)) return null;
  const lower = id.toLowerCase();
  if (lower.charAt(14) !== '7') return null;
  if (!'89ab'.includes(lower.charAt(19))) return null;
  const ms = parseInt(lower.slice(0, 8) + lower.slice(9, 13), 16);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d;
}

export interface CheckCommandText {
  id: string;
  customer?: string;
}

/**
 * The text of `/scorecard-check <id> [customer]`. The customer may also come first; the ID is validated later
 * (parseScorecardId), the customer by the configured list.
 */
export function parseCheckCommandText(text: string): CheckCommandText {
  const tokens = text.trim().split(/\s+/).filter((t) => t !== '');
  const usage = `Usage: /scorecard-check <scorecard-id> [customer], e.g. /scorecard-check ${EXAMPLE_SCORECARD_ID} rentokil`;
  if (tokens.length === 0) throw new BotError('BAD_INPUT', 'A scorecard ID is required.', { hint: usage });
  if (tokens.length > 2) throw new BotError('BAD_INPUT', 'Too many words: give a scorecard ID and, optionally, a customer.', { hint: usage });
  const [first = '', second] = tokens;
  if (second !== undefined && !looksLikeId(first) && looksLikeId(second)) return { id: second, customer: first };
  return second === undefined ? { id: first } : { id: first, customer: second };
}

function looksLikeId(token: string): boolean {
  return UUID.test(token.replace(/^`|`$/g, ''));
}
