import type { z } from 'zod';
import type { ChangeEvent } from './event.js';
import { providedEventsSchema } from './event.js';

// Events a file or an HTTP endpoint provides, checked with zod: the first few problems are named (path and what
// was wrong) so whoever keeps the list can fix it.

function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)'}: ${i.message}`);
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `${shown.join('; ')}${more}`;
}

export function parseProvidedEvents(data: unknown, source: string, what: string): ChangeEvent[] {
  const parsed = providedEventsSchema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`${what} is not a list of events { at, title, kind, link }: ${describeIssues(parsed.error)}`);
  }
  return parsed.data.map((e) => ({ at: e.at, title: e.title, kind: e.kind, link: e.link ?? null, source }));
}

export function inWindow(events: ChangeEvent[], window: { from: string; to: string }): ChangeEvent[] {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  return events.filter((e) => {
    const t = Date.parse(e.at);
    return t >= from && t < to;
  });
}
