// The investigation's numbers (shared/incident-report.md) as plain data, at scale 1. Every number a table of the
// report gives is here verbatim; the rest (other months' volumes, batch hours, shares) are choices marked "chosen".
// All counts are in-scope scorecards (calibrated_scorecard_id IS NULL AND scorecard_type IS NULL OR 0) and include
// the individually named scorecards of named.ts that fall inside them.

export const CUSTOMERS = ['rentokil', 'spirit', 'guitar-center', 'nclh'] as const;
export type Customer = (typeof CUSTOMERS)[number];
export const PROFILE_ID = 'us-east-1';

/** The dataset's range: [from, to), UTC. */
export const DATA_FROM = '2025-07-01';
export const DATA_TO = '2026-03-01';
export const MONTHS = ['2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02'] as const;

/** COACHING_SERVICE_ENABLE_SYNC_HISTORIC_SCORECARD_WRITE enabled in prod Jan 29 15:38 UTC: nothing created on or
 *  after this day goes missing (the report's "0% in February"), except the planted check cases. */
export const FIXED_ON = '2026-01-29';
/** Submitted missing rate jumps from ~20-30% to 90%+ on this day (report: "Missing Scorecards by Date"). */
export const CHANGE_POINT_ON = '2026-01-21';

/** [total, missing] */
export type Pair = readonly [number, number];

export interface SubmittedSegment {
  from: string; // first day, inclusive
  to: string; // last day, exclusive
  /** Fixed segment total; omitted: the segment shares the month's remaining volume by day weight. */
  total?: number;
  /** Fixed missing count, a rate of the segment total, or 'rest' (the month's missing not placed elsewhere). */
  missing: number | { rate: number } | 'rest';
  /** Missing weight ramps linearly across the segment's days (first day weight, last day weight). */
  missingRamp?: readonly [number, number];
  /** Multiplies the day weights of the segment's days (chosen: more volume late January). */
  volumeBoost?: number;
}

export interface SubmittedProfile {
  months: Record<string, Pair>;
  days: Record<string, Pair>;
  segments: SubmittedSegment[];
}

export interface BatchSpec {
  hour: number;
  /** Nominal batch size = share of the month's average daily volume. Chosen. */
  share: number;
  templates: readonly (readonly [title: string, share: number])[];
}

export interface ExplicitHour {
  at: string; // 'YYYY-MM-DDTHH'
  total: number;
  missing: number;
  /** Per template: [title, total, missing]; omitted: one background template. */
  templates?: readonly (readonly [title: string, total: number, missing: number])[];
}

/** A daily batch run at `hour` for days [from, to) with a nominal size and missing count per day (jittered). */
export interface BatchRun {
  hour: number;
  from: string;
  to: string;
  total: number;
  missing: number;
  jitter: number;
}

export interface UnsubmittedProfile {
  months: Record<string, Pair>;
  batches: BatchSpec[];
  hours: ExplicitHour[];
  runs: BatchRun[];
  skips: readonly { date: string; hour: number }[];
}

export interface CustomerProfile {
  customer: Customer;
  /** No scorecards before this day (chosen: rentokil's report history starts Aug 2025 with 6 submitted). */
  activeFrom: string;
  /** Unsubmitted (automated) scoring starts here (chosen). */
  unsubmittedActiveFrom: string;
  /** Background templates and their weights; the first is used for named scorecards. */
  templates: readonly (readonly [title: string, weight: number])[];
  submitted: SubmittedProfile;
  unsubmitted: UnsubmittedProfile;
}

/** Share of each month's in-scope volume added as excluded-by-design scorecards (chosen, ~1.4% in all). */
export const EXCLUDED_SHARE = { calibration: 0.008, nonOriginal: 0.006 } as const;
export const SCORES_PER_SCORECARD = { submitted: [5, 40], unsubmitted: [1, 5] } as const;

const SONYA = "Sonya's Test - Process Template CSAT";
const RTX = 'RTX Customer Care Scorecard 2026';

export const INCIDENT_PROFILE: Record<Customer, CustomerProfile> = {
  rentokil: {
    customer: 'rentokil',
    activeFrom: '2025-08-18',
    unsubmittedActiveFrom: '2025-08-18',
    templates: [['Pest Control Inbound QA', 5], ['Hygiene Sales Call Review', 3], [RTX, 2], ['Customer Retention Scorecard', 1]],
    submitted: {
      // Report "Historical Timeline"; Jul (none: history starts Aug) and Feb chosen.
      months: { '2025-07': [0, 0], '2025-08': [6, 0], '2025-09': [67, 0], '2025-10': [173, 0], '2025-11': [3367, 0],
        '2025-12': [3984, 7], '2026-01': [3637, 1165], '2026-02': [3400, 0] },
      days: {
        '2025-12-31': [79, 7], '2026-01-01': [32, 1],
        '2026-01-15': [129, 26], '2026-01-16': [128, 38], '2026-01-17': [49, 22], '2026-01-18': [34, 13],
        '2026-01-19': [62, 30], '2026-01-20': [216, 104], '2026-01-21': [159, 141], '2026-01-22': [119, 116],
        '2026-01-23': [95, 92], '2026-01-24': [25, 22], '2026-01-25': [24, 23], '2026-01-26': [102, 98],
        '2026-01-27': [81, 77], '2026-01-28': [26, 23],
        // chosen so Jan sums to 3,637 (Jan 2-14 then holds the report's "~2,000")
        '2026-01-29': [120, 0], '2026-01-30': [100, 0], '2026-01-31': [30, 0],
        // report "Verification Results (Feb 1+ Only)"
        '2026-02-01': [76, 0], '2026-02-02': [250, 0], '2026-02-03': [139, 0],
      },
      segments: [
        { from: '2025-12-15', to: '2025-12-31', total: 1200, missing: 0 }, // report: "Dec 15-30 ~1,200, 0"
        // report: "Jan 2-14 ~2,000 ~300 10-33%"; exact values are what Jan's totals leave
        { from: '2026-01-02', to: '2026-01-15', total: 2106, missing: 339, missingRamp: [0.6, 1.5] },
      ],
    },
    unsubmitted: {
      months: { '2025-07': [0, 0], '2025-08': [48_000, 0], '2025-09': [186_000, 558], '2025-10': [410_000, 0],
        '2025-11': [760_000, 0], '2025-12': [980_000, 0], '2026-01': [2_555_891, 27_373], '2026-02': [560_000, 0] },
      batches: [
        { hour: 3, share: 0.34, templates: [[SONYA, 0.833], [RTX, 0.158], ['Pest Control Inbound QA', 0.009]] },
        { hour: 15, share: 0.44, templates: [['Hygiene Sales Call Review', 0.6], ['Pest Control Inbound QA', 0.4]] },
      ],
      hours: [
        { at: '2026-01-23T02', total: 520, missing: 0 },
        // The report's template counts (Query 9) count every unsubmitted scorecard of the hour, so they are the
        // templates' totals; 2 of them were written, and the 234 on other templates all were.
        { at: '2026-01-23T03', total: 27_580, missing: 27_344,
          templates: [[SONYA, 22_977, 22_976], [RTX, 4_369, 4_368], ['Pest Control Inbound QA', 234, 0]] },
        { at: '2026-01-23T04', total: 99, missing: 0 },
      ],
      runs: [],
      skips: [],
    },
  },
  spirit: {
    customer: 'spirit',
    activeFrom: '2025-07-01',
    unsubmittedActiveFrom: '2025-07-22', // chosen: Jul's 74,097 is a partial month
    templates: [['Spirit Customer Care Scorecard', 5], ['Reservations QA', 4], ['Baggage Claims Review', 2], ['Free Spirit Loyalty Calls', 1]],
    submitted: {
      months: { '2025-07': [4800, 0], '2025-08': [5150, 0], '2025-09': [5480, 0], '2025-10': [6020, 0],
        '2025-11': [5760, 0], '2025-12': [5310, 0], '2026-01': [6395, 1868], '2026-02': [5700, 0] },
      days: { '2026-02-01': [93, 0], '2026-02-02': [232, 0], '2026-02-03': [196, 0] },
      segments: [
        { from: '2026-01-09', to: '2026-01-21', missing: 'rest' },
        { from: '2026-01-21', to: '2026-01-29', missing: { rate: 0.92 }, volumeBoost: 0.75 },
      ],
    },
    unsubmitted: {
      // report "spirit: Chronic Batch Job Issue"; Feb chosen
      months: { '2025-07': [74_097, 208], '2025-08': [934_526, 568], '2025-09': [1_028_204, 3_002],
        '2025-10': [1_582_092, 3_018], '2025-11': [1_336_711, 62_516], '2025-12': [1_378_896, 50_777],
        '2026-01': [2_644_078, 317_561], '2026-02': [900_000, 0] },
      batches: [{ hour: 14, share: 0.6, templates: [['Auto QA - Reservations', 0.7], ['Spirit Customer Care Scorecard', 0.3]] }],
      hours: [
        { at: '2026-01-10T14', total: 60_669, missing: 32_432 },
        { at: '2026-01-11T14', total: 41_416, missing: 21_660 },
        { at: '2026-01-13T14', total: 59_862, missing: 30_092 },
        { at: '2026-01-14T14', total: 60_483, missing: 30_910 },
        { at: '2026-01-15T14', total: 60_527, missing: 30_749 },
        { at: '2026-01-16T14', total: 63_469, missing: 33_469 },
        { at: '2026-01-17T14', total: 60_787, missing: 54 },
      ],
      // report: "Jan 18+ ~50k/day ~70/day"
      runs: [{ hour: 14, from: '2026-01-18', to: '2026-02-01', total: 50_000, missing: 70, jitter: 0.06 }],
      skips: [{ date: '2026-01-12', hour: 14 }], // the report's table has no Jan 12 row: no batch ran
    },
  },
  'guitar-center': {
    customer: 'guitar-center',
    activeFrom: '2025-07-01',
    unsubmittedActiveFrom: '2025-07-01',
    templates: [['GC Sales Floor Calls', 4], ['Lessons Booking QA', 2], ['Repairs & Returns', 1]],
    submitted: {
      months: { '2025-07': [610, 0], '2025-08': [640, 0], '2025-09': [655, 0], '2025-10': [690, 0],
        '2025-11': [720, 0], '2025-12': [580, 0], '2026-01': [699, 285], '2026-02': [420, 0] },
      days: { '2026-02-01': [2, 0], '2026-02-02': [6, 0], '2026-02-03': [13, 0] },
      segments: [
        { from: '2026-01-11', to: '2026-01-21', missing: 'rest' },
        { from: '2026-01-21', to: '2026-01-29', missing: { rate: 0.94 }, volumeBoost: 1.6 },
      ],
    },
    unsubmitted: {
      // Jan from the report; other months chosen; Feb's 1 is the planted noScores check case
      months: { '2025-07': [180_000, 0], '2025-08': [195_000, 0], '2025-09': [205_000, 0], '2025-10': [220_000, 0],
        '2025-11': [250_000, 0], '2025-12': [270_000, 0], '2026-01': [693_771, 3], '2026-02': [200_000, 1] },
      batches: [
        { hour: 6, share: 0.45, templates: [['GC Sales Floor Calls', 1]] },
        { hour: 18, share: 0.15, templates: [['Lessons Booking QA', 1]] },
      ],
      hours: [],
      runs: [],
      skips: [],
    },
  },
  nclh: {
    customer: 'nclh',
    activeFrom: '2025-07-01',
    unsubmittedActiveFrom: '2025-07-01',
    templates: [['NCL Reservations Quality', 4], ['Guest Services Review', 2], ['Cruise Next Booking QA', 1]],
    submitted: {
      // Jul's 2 missing are the report's "2 old one-offs from Jul 2025" (named.ts)
      months: { '2025-07': [88, 2], '2025-08': [92, 0], '2025-09': [97, 0], '2025-10': [110, 0],
        '2025-11': [101, 0], '2025-12': [86, 0], '2026-01': [104, 54], '2026-02': [64, 0] },
      days: { '2026-02-01': [0, 0], '2026-02-02': [3, 0], '2026-02-03': [2, 0] },
      segments: [
        { from: '2026-01-12', to: '2026-01-21', missing: 'rest' },
        { from: '2026-01-21', to: '2026-01-29', missing: { rate: 0.95 }, volumeBoost: 2.4 },
      ],
    },
    unsubmitted: {
      // Feb's 1 is the planted conversationMissing check case
      months: { '2025-07': [150_000, 0], '2025-08': [160_000, 0], '2025-09': [170_000, 0], '2025-10': [185_000, 0],
        '2025-11': [210_000, 0], '2025-12': [235_000, 0], '2026-01': [674_707, 0], '2026-02': [180_000, 1] },
      batches: [
        { hour: 10, share: 0.35, templates: [['NCL Reservations Quality', 1]] },
        { hour: 22, share: 0.25, templates: [['Guest Services Review', 1]] },
      ],
      hours: [],
      runs: [],
      skips: [],
    },
  },
};

/** Background (human-paced) volume by UTC hour: US call-centre hours peak around 16:00 UTC. Chosen. */
export const DIURNAL = [
  0.55, 0.4, 0.25, 0.15, 0.08, 0.07, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.25, 1.45, 1.55, 1.6, 1.55, 1.45, 1.35, 1.2,
  1.0, 0.85, 0.7,
] as const;

/** Day weights (chosen): weekends and US holidays are quiet for people, batch jobs run every day. */
export const WEEKEND = { submitted: [0.3, 0.35], unsubmitted: [0.55, 0.6] } as const; // [Sunday, Saturday]
export const HOLIDAYS: Record<string, number> = {
  '2025-07-04': 0.3, '2025-09-01': 0.5, '2025-11-27': 0.35, '2025-11-28': 0.7, '2025-12-24': 0.4,
  '2025-12-25': 0.15, '2025-12-26': 0.6, '2025-12-31': 0.5, '2026-01-01': 0.3, '2026-01-19': 0.8,
};

/** The events the report describes, per customer; ground-truth.ts counts them from the plan. */
export const PLANTED_EVENTS = {
  /** rentokil's one-hour failure of unsubmitted scorecards. */
  batchFailure: { customer: 'rentokil', at: '2026-01-23T03' },
  /** spirit's 14:00 UTC daily batch failing ~50% Jan 10-16, healthy from Jan 17 (no batch on Jan 12). */
  recurringFailure: { customer: 'spirit', hourOfDay: 14, from: '2026-01-10', fixedOn: '2026-01-17', skipped: ['2026-01-12'] },
  /** Populations whose missing rate falls to 0 on FIXED_ON: every customer's submitted, spirit's chronic unsubmitted. */
  recovery: { submitted: CUSTOMERS, unsubmitted: ['spirit'] },
} as const;
