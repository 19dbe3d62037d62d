import { z } from 'zod';

// A change is anything that happened to the system around a finding: a deploy, a feature flag, an incident.
// Every source (git, file, http) produces these; the report carries them in UTC.

export const changeKindSchema = z.enum(['deploy', 'flag', 'incident', 'other']);
export type ChangeKind = z.infer<typeof changeKindSchema>;

export const changeEventSchema = z.object({
  /** ISO instant, UTC. */
  at: z.string(),
  title: z.string(),
  kind: changeKindSchema,
  link: z.string().nullable(),
  /** The configured source's name. */
  source: z.string(),
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;

/** A change near one of a finding's times: `anchor` names the finding's field, offsetMinutes < 0 means before it. */
export const nearbyChangeSchema = changeEventSchema.extend({
  anchor: z.string(),
  offsetMinutes: z.number().int(),
});
export type NearbyChange = z.infer<typeof nearbyChangeSchema>;

export const changeSourceStatusSchema = z.object({
  name: z.string(),
  available: z.boolean(),
  /** Why the source could not be read, for a person (no URLs, no secrets). */
  error: z.string().optional(),
});
export type ChangeSourceStatus = z.infer<typeof changeSourceStatusSchema>;

/**
 * A time given by a source: an ISO instant with a zone ('Z' or an offset), or a bare date (midnight UTC). A local
 * time without a zone is refused: it would silently shift by the reader's zone.
 */
export const eventTimeSchema = z.union([z.string(), z.date()]).transform((v, ctx) => {
  if (v instanceof Date) {
    if (!Number.isNaN(v.getTime())) return v.toISOString();
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(v) || /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v)) {
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v.replace(' ', 'T'));
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  ctx.addIssue({ code: 'custom', message: 'must be a time with a zone, e.g. "2026-01-29T15:38:38Z" or "2026-01-29T10:38:38-05:00"' });
  return z.NEVER;
});

/** The shape a file or HTTP source provides (the source's name is added by the loader). */
export const providedEventSchema = z.object({
  at: eventTimeSchema,
  title: z.string().min(1).max(500),
  kind: changeKindSchema.default('other'),
  link: z.string().url().nullable().optional(),
});
export const providedEventsSchema = z.array(providedEventSchema);
