import { z } from 'zod';

// The top-level `silences:` list: planned work during which the watchdog records and counts problems but posts
// nothing (README, Watchdog: silences). `watch:` is a list of audits, so silences sit beside it rather than inside
// it: one silence covers a customer in every audit. Cross-field rules (from before to, a known customer) are in
// silenceProblems(), run from the top-level schema so they are listed with every other problem of the file.

export const configSilenceSchema = z
  .object({
    customer: z.string().min(1).describe('A configured customer, or "all"'),
    from: z.string().datetime({ offset: true }).describe('Start, ISO 8601 with a zone, e.g. "2026-12-07T20:00:00Z"'),
    to: z.string().datetime({ offset: true }).describe('End (exclusive), ISO 8601 with a zone; after `from`'),
    reason: z.string().min(1).max(200).describe('Why: shown in the App Home and in the message that ends the silence'),
  })
  .strict();

export const silencesSchema = z.array(configSilenceSchema).default([]);

export type ConfigSilence = z.infer<typeof configSilenceSchema>;

export interface SilenceIssue {
  path: (string | number)[];
  message: string;
}

const RESERVED = new Set(['silence', 'unsilence']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reserved customer names and the silences' rules. Reads the raw value defensively (it runs even when other keys are wrong) and judges only what is well-formed. */
export function silenceProblems(raw: unknown): SilenceIssue[] {
  if (!isObj(raw)) return [];
  const customers = new Set(Array.isArray(raw.customers) ? raw.customers.flatMap((c) => (isObj(c) && typeof c.name === 'string' ? [c.name] : [])) : []);
  const issues: SilenceIssue[] = [];
  // "/scorecard-gap silence …" is read by its first word, so a customer of that name could never be investigated.
  if (Array.isArray(raw.customers)) {
    raw.customers.forEach((c, i) => {
      if (isObj(c) && typeof c.name === 'string' && RESERVED.has(c.name)) {
        issues.push({ path: ['customers', i, 'name'], message: `"${c.name}" is a word of /scorecard-gap (silence, unsilence); give the customer another name` });
      }
    });
  }
  if (!Array.isArray(raw.silences)) return issues;
  raw.silences.forEach((s, i) => {
    if (!isObj(s)) return;
    if (typeof s.customer === 'string' && s.customer !== 'all' && !customers.has(s.customer)) {
      issues.push({ path: ['silences', i, 'customer'], message: `unknown customer "${s.customer}"; configured: ${[...customers].join(', ') || '(none)'}, or "all"` });
    }
    const from = typeof s.from === 'string' ? Date.parse(s.from) : NaN;
    const to = typeof s.to === 'string' ? Date.parse(s.to) : NaN;
    if (Number.isFinite(from) && Number.isFinite(to) && from >= to) {
      issues.push({ path: ['silences', i, 'to'], message: `a silence must end after it starts (from ${String(s.from)}, to ${String(s.to)})` });
    }
  });
  return issues;
}
