import { z } from 'zod';
import { changeEventSchema, changeSourceStatusSchema, nearbyChangeSchema } from '../../changes/event.js';

// The GapReport is the JSON contract of `scorecard-bot gap --json` and the single input of every renderer
// (terminal, Block Kit, CSV, chart). Keep it plain data.

export const countsSchema = z.object({ total: z.number().int().nonnegative(), missing: z.number().int().nonnegative() });
export type Counts = z.infer<typeof countsSchema>;

export const populationTotalsSchema = countsSchema.extend({
  /** Present in historic, absent in ClickHouse. null when ClickHouse is not configured or was unavailable. */
  clickhouseMissing: z.number().int().nonnegative().nullable(),
});

export const bucketSchema = z.object({ submitted: countsSchema, unsubmitted: countsSchema });

export const populationSchema = z.enum(['submitted', 'unsubmitted']);
export type Population = z.infer<typeof populationSchema>;

export const firstMissingSchema = z
  .object({ scorecardId: z.string(), createdAt: z.string(), submittedAt: z.string().nullable() })
  .nullable();

const rate = z.number().min(0).max(1);

export const findingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('onset'),
    population: populationSchema,
    firstMissingAt: z.string(),
    scorecardId: z.string(),
    /** First day whose missing rate is over 1%; null when no day crosses it (isolated one-offs only). */
    firstDayOver1Pct: z.string().nullable(),
    rateThatDay: rate.nullable(),
    /** True when missing was already happening on the first day scanned and nothing earlier could be scanned
     *  (look-back off or out of months): the loss began earlier than this. */
    earlierThanScan: z.boolean().optional(),
    /** The first change point up from ~0, when it is not on firstDayOver1Pct: the level changed on `date`, whose
     *  own counts (`total`, `missing`) were not clear evidence that day (or the days over 1% before it were
     *  isolated). Lets the sentence say why the two days differ. */
    levelChangedOn: z.object({ date: z.string(), total: z.number().int(), missing: z.number().int() }).optional(),
  }),
  z.object({
    kind: z.literal('chronic'),
    population: populationSchema,
    /** First and last day (with volume) of a stretch at one steady missing rate: no change point inside. */
    since: z.string(),
    to: z.string(),
    /** The day of the stretch's first missing scorecard; null when the stretch reaches back to the first day
     *  scanned and nothing earlier could be scanned (then it is "at least since `since`"). */
    began: z.string().nullable(),
    /** What precedes the stretch: clean days (0%), no scorecards at all (the customer's start), another level, or
     *  days not scanned. */
    before: z.enum(['clean', 'no_scorecards', 'other_level', 'not_scanned']),
    /** Pooled missing rate of the stretch, and the 10th-90th percentile of its daily (or pooled-block) rates. */
    level: rate,
    range: z.object({ low: rate, high: rate }),
    /** 95% Wilson lower bound of the pooled rate: what makes it "steadily non-zero". */
    lowerBound: rate,
    days: z.number().int(),
    total: z.number().int(),
    missing: z.number().int(),
  }),
  z.object({
    kind: z.literal('change_point'),
    population: populationSchema,
    at: z.string(),
    before: rate,
    after: rate,
    daysBefore: z.number().int(),
    daysAfter: z.number().int(),
    /** The step is on the period's first day (with scorecards), found against the days before the period (the
     *  history scanned, or the look-back); `beforeSpan` is the stretch at the `before` level. */
    atPeriodStart: z.boolean().optional(),
    beforeSpan: z.object({ from: z.string(), to: z.string() }).optional(),
  }),
  z.object({
    kind: z.literal('batch_failure'),
    population: populationSchema,
    at: z.string(),
    total: z.number().int(),
    missing: z.number().int(),
    typicalHourTotal: z.number(),
    templates: z.array(z.object({ templateId: z.string(), title: z.string().nullable(), count: z.number().int() })),
  }),
  z.object({
    kind: z.literal('recurring_failure'),
    population: populationSchema,
    hourOfDay: z.number().int().min(0).max(23),
    from: z.string(),
    to: z.string(),
    fixedOn: z.string().nullable(),
    missingRate: rate,
    days: z.number().int(),
    total: z.number().int(),
    missing: z.number().int(),
  }),
  z.object({
    kind: z.literal('weekly_failure'),
    population: populationSchema,
    /** The failing weekdays, UTC: 0 = Sunday .. 6 = Saturday. */
    weekdays: z.array(z.number().int().min(0).max(6)),
    /** The failing hour of those days (UTC); null: the whole day fails. */
    hourOfDay: z.number().int().min(0).max(23).nullable(),
    /** First and last failing occurrence (dates). */
    from: z.string(),
    to: z.string(),
    /** Different weeks (Monday to Sunday, UTC) with a failing occurrence. */
    weeks: z.number().int(),
    occurrences: z.array(z.object({ date: z.string(), total: z.number().int(), missing: z.number().int() })),
    total: z.number().int(),
    missing: z.number().int(),
    missingRate: rate,
    /** The first occurrence of the slot that came round clean after the last failing one; null: none in the period. */
    fixedOn: z.string().nullable(),
    /** When still failing at the end of the period: the next occurrence due (ISO instant); otherwise null. */
    nextExpected: z.string().nullable(),
  }),
  z.object({ kind: z.literal('recovery'), population: populationSchema, at: z.string(), rateAfter: rate }),
  z.object({
    kind: z.literal('submit_date_correlation'),
    population: z.literal('submitted'),
    /** Missing scorecards created before the first bad day but submitted on or after it. */
    createdBefore: z.string(),
    count: z.number().int(),
    submittedFrom: z.string(),
    submittedTo: z.string(),
  }),
  z.object({
    kind: z.literal('clickhouse_gap'),
    population: populationSchema,
    count: z.number().int(),
    days: z.array(z.object({ date: z.string(), count: z.number().int() })),
  }),
]);
export type Finding = z.infer<typeof findingSchema>;

/** no_data: no in-scope scorecards in director for the period; not healthy, the customer, profile or period may be wrong. */
export const verdictSchema = z.enum(['gap', 'no_gap', 'clickhouse_gap_only', 'no_data']);

export const gapReportSchema = z.object({
  customer: z.string(),
  profile: z.string(),
  period: z.object({ from: z.string(), to: z.string(), label: z.string(), grain: z.enum(['day', 'hour']) }),
  generatedAt: z.string(),
  populations: z.object({ submitted: populationTotalsSchema, unsubmitted: populationTotalsSchema }),
  excluded: z.object({ calibration: z.number().int(), nonOriginal: z.number().int() }),
  monthly: z.array(bucketSchema.extend({ month: z.string() })),
  daily: z.array(bucketSchema.extend({ date: z.string() })),
  dailyBySubmitted: z.array(countsSchema.extend({ date: z.string() })),
  hourly: z.array(bucketSchema.extend({ hour: z.string() })),
  firstMissing: z.object({ submitted: firstMissingSchema, unsubmitted: firstMissingSchema }),
  clickhouse: z.object({
    configured: z.boolean(),
    /** Compared: configured and it answered. false with `error` when ClickHouse failed; historic is reported anyway. */
    available: z.boolean(),
    /** Why ClickHouse was not compared, for a person (no URLs, no secrets); null when it was, or is not configured. */
    error: z.string().nullable(),
    /** Per-day historic vs ClickHouse distinct counts, only for days that differ. */
    days: z.array(z.object({ date: z.string(), population: populationSchema, missing: z.number().int() })),
  }),
  /** Each finding, with the changes around its times when change sources are configured (nearest first). */
  findings: z.array(findingSchema.and(z.object({ nearbyChanges: z.array(nearbyChangeSchema).optional() }))),
  verdict: verdictSchema,
  /** Deployments, flags and incidents around the period (config `changes:`); absent when none is configured. */
  changes: z.array(changeEventSchema).optional(),
  /** Each change source and whether it could be read; an unavailable one never fails the report. */
  changeSources: z.array(changeSourceStatusSchema).optional(),
  stats: z.object({
    windows: z.number().int(),
    queries: z.number().int(),
    elapsedMs: z.number(),
    /** Extra day windows scanned before the range to find when a loss really began (0: no look-back needed). */
    lookbackWindows: z.number().int().nonnegative().optional(),
  }),
});
export type GapReport = z.infer<typeof gapReportSchema>;
