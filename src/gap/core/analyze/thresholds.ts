// Every number the analysis decides with, in one place, each with the reason it has that value. They are rates,
// ratios and significance levels rather than counts wherever possible, so that the same shapes give the same
// findings at full volume (millions a month) and on demo data at 1/100 of it. The few absolute counts are floors
// below which a shape cannot be told from noise at any volume.

/** A "bad day" (also used for the onset's first day over 1%). */
export const BAD_DAY = {
  /** The rate that defines "missing is happening", per the incident report's 1% line. */
  rate: 0.01,
  /** Wilson score bound at 95%: the day's rate must be over `rate` with confidence, so 1 of 3 is not enough
   *  evidence on its own but 26 of 129 is; for huge days the bound is the rate itself. */
  z: 1.96,
  /** Isolated one-offs (a single missing scorecard) never make a day bad, whatever the day's volume. */
  minMissing: 2,
} as const;

export const CHANGE_POINT = {
  /** Each side of a change needs this many days with volume: a level that lasts two days is not "sustained". */
  minSegmentDays: 3,
  /** Absolute change of the daily missing rate a reader would call a new level. */
  minEffect: 0.1,
  /** Critical value of the over-dispersion-scaled likelihood-ratio statistic (chi-square, 1 df). 15.1 is p = 1e-4,
   *  i.e. 1% after a Bonferroni correction over up to 100 candidate days. */
  critical: 15.1,
  /** Best-first binary segmentation stops after this many: the report wants the few that matter. */
  maxPoints: 3,
} as const;

export const BATCH = {
  /** An hour is "far bigger than usual" at this multiple of the median non-empty hour of the scanned range.
   *  5 (not 10): hours follow the working day, so a median hour is already a busy one (rentokil: 27,580 vs ~3.5k,
   *  i.e. 8x, which is the shape to catch). */
  timesTypical: 5,
  /** Floor: below 50 scorecards an hour is not a batch job at any volume (nclh has 1-4 a day). */
  minTotal: 50,
  /** "Most of them missing". */
  minMissingRate: 0.5,
  /** The failure must be the hour's own, not the whole day's: its rate exceeds the rest of its day by this much. */
  minExcessOverDay: 0.25,
} as const;

export const RECURRING = {
  /** A pattern is a pattern from three failing days on. */
  minDays: 3,
  /** A cell (one hour of one day) needs this volume and this many missing before it can be judged failing. */
  minCellTotal: 20,
  minCellMissing: 5,
  /** The hour's missing rate is high in itself ... */
  minRate: 0.2,
  /** ... and well above the rest of the same day (chronic background missing is not this hour's failure) ... */
  minExcess: 0.15,
  /** ... by a two-proportion z statistic this large (1 of 1 vs 0 of 10 is not evidence). */
  minZ: 4,
  /** A day where the hour has under this share of the run's usual volume is "no batch that day": skipped, not a fix. */
  quietShare: 0.1,
  /** At most this many such quiet days in a row inside a run (a skipped day, a weekend). */
  maxQuietDays: 2,
} as const;

export const RECOVERY = {
  /** "Stays at ~0": the pooled rate from the recovery day to the end of the period. */
  maxRateAfter: 0.005,
  /** Days with volume needed after the recovery day for it to be a recovery and not a lull. */
  minDaysAfter: 2,
  /** "After having been clearly non-zero": this many days with volume before it, pooled, form a bad day, and the
   *  period has at least `minBadDays` bad days in all. */
  lookbackDays: 3,
  minBadDays: 2,
} as const;

export const SUBMIT_DATE = {
  /** The first bad submit day must start a run of this many bad days (one bad day may be a straggler). */
  sustainDays: 2,
  /** Share of the missing created before that day that were submitted on or after it. */
  minShare: 0.8,
} as const;

/** A chronic loss: a long stretch at a steady, non-zero missing rate (spirit's 0.1-0.3% from July 2025). */
export const CHRONIC = {
  /** Long: four weeks of days with volume. Shorter steady stretches are episodes the other detectors describe. */
  minDays: 28,
  /** Non-zero: the pooled stretch's 95% Wilson lower bound must exceed 0.05%. The investigator called 0.1% a
   *  month an issue; the healthy background (the demo's 0.01% noise) must never reach it, even pooled over
   *  millions (its bound is then ~0.01%, five times lower). */
  minLowerBound: 0.0005,
  /** Steady, not a few old one-offs: cut the stretch in this many parts of equal volume; missing must show up in
   *  every one (nclh's two one-offs of Aug 2025 sit in one part of Aug-Dec, spirit's 0.2% in all of them). */
  parts: 4,
  /** The segmentation that cuts a series into steady stretches. Different from CHANGE_POINT's, which looks
   *  for an episode inside the period: here 0.1% vs 0.3% is the same chronic background (the investigator's
   *  "~0.2-0.3%"), while 0.2% -> 4.7% (spirit's November) is a new level. A new level must differ by at least
   *  `minEffect` absolute AND by a factor of `minRatio`; each stretch needs a week of days. */
  segmentation: {
    minSegmentDays: 7,
    minEffect: 0.005,
    minRatio: 2,
    /** Same significance as CHANGE_POINT (p = 1e-4 after over-dispersion scaling). */
    critical: 15.1,
    maxPoints: 8,
  },
  /** The range shown next to the level: days are pooled into consecutive blocks each expected to hold this many
   *  missing at the stretch's level (one day is one block at high volume), and the 10th-90th percentile of the
   *  block rates is shown. Five expected keeps a block's own Poisson noise near +-45%, so at full volume the range
   *  is the day-to-day scatter a person sees, and at low volume it does not pretend to a precision it lacks. */
  rangeBlockExpected: 5,
  /** Days with nothing missing at the head of a stretch are "0% before" only if the level would have put this
   *  many missing on them (P(none) = e^-3 = 5%); fewer are just how a low-volume level looks. */
  cleanLeadExpected: 3,
  rangePercentiles: [0.1, 0.9],
} as const;

/** A weekly failure: the same weekday(s) fail, at one hour or all day, week after week, while the other days of
 *  the week are healthy (a weekend-only batch). Found before the daily detectors so its cells are explained. */
export const WEEKLY = {
  /** A pattern is weekly once it has come round failing in three different weeks (and at least three slots):
   *  two weekends could be two unrelated bad days; three in the same slot are a schedule. */
  minWeeks: 3,
  minOccurrences: 3,
  /** A weekday belongs to the failing set when at least half of its judged occurrences in the period fail: a
   *  slot that failed once in four weeks is not "every Saturday". */
  minWeekdayShare: 0.5,
  /** At most five weekdays: six or seven failing weekdays is a daily failure (recurring_failure's). */
  maxWeekdays: 5,
  /** "The other days are healthy" must be seen, not assumed: the run's span needs at least (weeks - 1) clean
   *  days at the same slot outside the failing weekdays (one between each failing week), and at most this share
   *  of those days failing. */
  maxOtherFailingShare: 0.2,
  /** A failing occurrence with no volume (the job did not run) is skipped; more than this many in a row end the run. */
  maxQuietOccurrences: 1,
  /** A whole day fails when, with the hour-cell floors of RECURRING (volume >= 20, missing >= 5) and the z test,
   *  its rate is at least 10% and 10 points over the rest of its week (the other days within +-3 days). Lower
   *  than RECURRING's hour rates: a whole day failing at 10% is already a tenth of everything. */
  minDayRate: 0.1,
  minDayExcess: 0.1,
} as const;

/** Weekday structure of a daily series (see weekday-structure.ts): is the missing rate a weekly pattern rather
 *  than one level? Each day is compared with its own week (the other days within +-3 days), so a step in the level
 *  is not taken for a weekday effect, and a 300-a-day weekday beside a 4-a-day weekend weighs by its volume. */
export const WEEKDAY = {
  /** Prior strength of each weekday's factor, in expected missing: a weekday with a handful of expected missing
   *  stays near 1 unless its own counts say otherwise (the same "a few expected" as CHRONIC.rangeBlockExpected). */
  priorExpected: 5,
  /** Over-dispersion-scaled chi-square over the 7 weekdays (6 df) at p = 1e-4, the significance of the other
   *  detectors. */
  critical: 27.86,
  /** A weekday pattern worth the name: the worst weekday's factor is at least twice the best one's (the chronic
   *  rules' "new level" ratio). Smaller weekday differences are the day-to-day texture of one level. */
  minRatio: 2,
  /** A weekday pattern has come round at least three times (WEEKLY.minWeeks): a series spanning under three weeks
   *  has no weekday structure to speak of (three bad days Sat-Mon in one week are an episode, not a schedule). */
  minSpanDays: 21,
} as const;
