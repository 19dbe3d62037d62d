// Issue 19, part 4: one consistent story, checked as properties over random piecewise-constant series. Each seed
// draws a volume (weekday base, a weekend share down to 1/75 of it, full or 1/100 scale), 1-4 levels with random
// step days (some on the period's first day), optionally a weekend slot failing at one hour, and binomial counts.
// Deterministic: a seeded mulberry32 stream per seed.
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/gap/core/analyze/index.js';
import { findingSchema, type Finding, type Population } from '../../src/gap/core/report.js';
import type { HourCell } from '../../src/gap/core/series.js';
import { findingSentence } from '../../src/gap/views/finding-sentences.js';
import { dates, hourIso, makeSeries, rng, sround, US_DAY, type Rand } from './analyze-fixtures.js';

const SEEDS = 200;
const PERIOD = { from: '2026-01-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' };
const SCANNED_FROM = '2025-11-01';
const LEVELS = [0, 0, 0.0005, 0.003, 0.02, 0.08, 0.25, 0.5, 0.9];
const EPISODES = new Set(['chronic', 'change_point', 'weekly_failure', 'batch_failure', 'recurring_failure', 'recovery']);
const weekday = (date: string): number => new Date(`${date}T00:00:00.000Z`).getUTCDay();

function binomial(n: number, p: number, rand: Rand): number {
  if (p <= 0 || n <= 0) return 0;
  if (n < 60) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < p) k += 1;
    return k;
  }
  const z = Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
  return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
}

interface Drawn {
  cells: HourCell[];
  healthy: boolean;
  describe: string;
}

/** A random piecewise-constant series of one population. */
function draw(seed: number): Drawn {
  const rand = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const scale = rand() < 0.5 ? 1 : 0.01;
  const base = pick([300, 3_000, 80_000]) * scale;
  const weekend = pick([1, 0.5, 1 / 75]);
  const all = dates(SCANNED_FROM, PERIOD.to.slice(0, 10));
  const periodStart = all.indexOf('2026-01-01');
  const steps = Array.from({ length: Math.floor(rand() * 4) }, () =>
    rand() < 0.25 ? periodStart : Math.floor(rand() * (all.length - 3)),
  ).sort((a, b) => a - b);
  const levels = [pick(LEVELS), ...steps.map(() => pick(LEVELS))];
  const weekly = rand() < 0.3 ? { hour: Math.floor(rand() * 24), from: periodStart + Math.floor(rand() * 21), size: pick([40, 500, 5_000]) * scale } : null;
  const cells: HourCell[] = [];
  all.forEach((date, i) => {
    const level = levels[steps.filter((s) => s <= i).length] ?? 0;
    const isWeekend = weekday(date) === 0 || weekday(date) === 6;
    US_DAY.forEach((w, h) => {
      const total = sround((base / 24) * (w / 3000) * (isWeekend ? weekend : 1) * (0.85 + 0.3 * rand()), rand);
      let cellTotal = total;
      let missing = binomial(total, level, rand);
      if (weekly && h === weekly.hour) {
        const batch = sround(weekly.size, rand);
        cellTotal += batch;
        missing += binomial(batch, isWeekend && i >= weekly.from ? 0.8 : level, rand);
      }
      if (cellTotal > 0) cells.push({ hour: hourIso(date, h), total: cellTotal, missing });
    });
  });
  const healthy = levels.every((l) => l <= 0.0005) && weekly === null;
  return { cells, healthy, describe: JSON.stringify({ seed, scale, base, weekend, steps: steps.map((s) => all[s]), levels, weekly }) };
}

function run(seed: number): { findings: Finding[]; drawn: Drawn } {
  const drawn = draw(seed);
  const population: Population = seed % 2 === 0 ? 'unsubmitted' : 'submitted';
  const c = drawn.cells.find((x) => x.missing > 0);
  const first = c ? { scorecardId: `first-${seed}`, createdAt: c.hour, submittedAt: null } : null;
  const series = makeSeries({
    period: PERIOD,
    scanned: { from: `${SCANNED_FROM}T00:00:00.000Z`, to: PERIOD.to },
    [population]: drawn.cells,
    firstMissing: { [population]: first },
  });
  return { findings: analyze(series), drawn };
}

const results = Array.from({ length: SEEDS }, (_, i) => run(i + 1));
const byPopulation = (fs: Finding[]) => ['submitted', 'unsubmitted'].map((p) => fs.filter((f) => f.population === p));
const of = <K extends Finding['kind']>(fs: Finding[], kind: K) => fs.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind);

describe(`properties of the findings over ${SEEDS} random piecewise series`, () => {
  it('every finding fits the schema and reads as a sentence', () => {
    for (const { findings, drawn } of results) {
      for (const f of findings) {
        expect(() => findingSchema.parse(f), drawn.describe).not.toThrow();
        expect(findingSentence(f, findings).length, drawn.describe).toBeGreaterThan(10);
      }
    }
  });

  it("consecutive change points share the segment between them: one's after is the next one's before", () => {
    for (const { findings, drawn } of results) {
      for (const fs of byPopulation(findings)) {
        const cps = of(fs, 'change_point');
        for (let i = 0; i + 1 < cps.length; i++) {
          expect(cps[i]!.at < cps[i + 1]!.at, drawn.describe).toBe(true);
          expect(cps[i]!.after, drawn.describe).toBe(cps[i + 1]!.before);
          expect(cps[i]!.daysAfter, drawn.describe).toBe(cps[i + 1]!.daysBefore);
        }
        for (const cp of cps) {
          if (cp.atPeriodStart) expect(cp.at, drawn.describe).toBe('2026-01-01');
          expect(cp.after !== cp.before, drawn.describe).toBe(true);
        }
      }
    }
  });

  it('no chronic stretch spans a change point, and none begins inside the period after another level', () => {
    for (const { findings, drawn } of results) {
      for (const fs of byPopulation(findings)) {
        for (const c of of(fs, 'chronic')) {
          for (const cp of of(fs, 'change_point')) expect(cp.at > c.since && cp.at <= c.to, `${drawn.describe} ${c.since}..${c.to} vs ${cp.at}`).toBe(false);
          if (c.since >= '2026-01-01') expect(['no_scorecards', 'not_scanned'], drawn.describe).toContain(c.before);
        }
      }
    }
  });

  it('no recovery while a weekly slot is still failing, nor before it has come round clean', () => {
    for (const { findings, drawn } of results) {
      for (const fs of byPopulation(findings)) {
        const recovery = of(fs, 'recovery')[0];
        if (!recovery) continue;
        for (const w of of(fs, 'weekly_failure')) {
          expect(w.fixedOn, drawn.describe).not.toBeNull();
          expect(recovery.at >= (w.fixedOn ?? ''), drawn.describe).toBe(true);
        }
      }
    }
  });

  it('the onset and the first change point up from ~0 agree on the day, or the onset says why not', () => {
    let agreed = 0;
    let explained = 0;
    for (const { findings, drawn } of results) {
      for (const fs of byPopulation(findings)) {
        const onset = of(fs, 'onset')[0];
        const first = of(fs, 'change_point')[0];
        if (!onset || !first || first.before >= 0.01 || first.after <= first.before || first.at < onset.firstMissingAt.slice(0, 10)) continue;
        if (onset.firstDayOver1Pct === first.at) {
          agreed += 1;
          expect(onset.levelChangedOn, drawn.describe).toBeUndefined();
        } else {
          explained += 1;
          expect(onset.levelChangedOn?.date, drawn.describe).toBe(first.at);
          expect(findingSentence(onset, fs), drawn.describe).toContain(`on ${first.at} (`);
        }
      }
    }
    expect(agreed + explained).toBeGreaterThan(SEEDS / 10); // the property was exercised
  });

  it('a healthy series (0% or a 0.05% trickle), whatever its weekday volumes, gets no episode', () => {
    let healthy = 0;
    for (const { findings, drawn } of results) {
      if (!drawn.healthy) continue;
      healthy += 1;
      expect(findings.map((f) => f.kind).filter((k) => EPISODES.has(k)), drawn.describe).toEqual([]);
    }
    expect(healthy).toBeGreaterThan(10);
  });

  it('a weekly failure is never also a steady level over the same days', () => {
    let weekly = 0;
    for (const { findings, drawn } of results) {
      for (const fs of byPopulation(findings)) {
        for (const w of of(fs, 'weekly_failure')) {
          weekly += 1;
          // Its slots are explained, so a chronic level over the same weeks is the background under it, never the
          // weekly failure averaged into a "steady" rate.
          for (const c of of(fs, 'chronic')) if (c.since <= w.from && c.to >= w.to) expect(c.level, drawn.describe).toBeLessThan(w.missingRate);
        }
      }
    }
    expect(weekly).toBeGreaterThan(5); // the property was exercised
  });

  it('exercises every kind of story', () => {
    const kinds = new Set(results.flatMap((r) => r.findings.map((f) => f.kind)));
    for (const k of ['chronic', 'onset', 'change_point', 'weekly_failure', 'recovery'] as const) expect(kinds).toContain(k);
    const chains = results.filter((r) => byPopulation(r.findings).some((fs) => of(fs, 'change_point').length >= 2)).length;
    expect(chains).toBeGreaterThan(10);
    expect(results.some((r) => r.findings.some((f) => f.kind === 'change_point' && f.atPeriodStart))).toBe(true);
  });
});
