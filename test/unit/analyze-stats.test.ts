// The statistics the detectors rest on, and the change-point detector on plain daily series at any volume.
import { describe, expect, it } from 'vitest';
import { findChangePoints } from '../../src/gap/core/analyze/change-point.js';
import { findRecovery } from '../../src/gap/core/analyze/recovery.js';
import { isFailingCell } from '../../src/gap/core/analyze/recurring-failure.js';
import { isBad, wilsonLower } from '../../src/gap/core/analyze/stats.js';
import { addDays } from './analyze-fixtures.js';

const days = (rates: [number, number][], volume: number) =>
  rates.map(([rate, n], i) => ({ date: addDays('2026-01-01', i), total: Math.round(volume * n), missing: Math.round(volume * n * rate) }));

describe('bad days', () => {
  it('needs evidence, not just a rate', () => {
    expect(isBad({ total: 3, missing: 1 })).toBe(false); // 33%, but a single one-off
    expect(isBad({ total: 2, missing: 2 })).toBe(true);
    expect(isBad({ total: 129, missing: 26 })).toBe(true);
    expect(isBad({ total: 1_000_000, missing: 10_500 })).toBe(true); // 1.05% of a million is over 1% with confidence
    expect(isBad({ total: 1_000, missing: 11 })).toBe(false); // 1.1% of a thousand is not
    expect(wilsonLower({ total: 100, missing: 0 })).toBe(0);
  });
});

describe('change points on daily series', () => {
  // 10 days at 30%, then 10 at 94%, with volumes varying 0.5-1.5x.
  const shape: [number, number][] = Array.from({ length: 20 }, (_, i) => [i < 10 ? 0.3 : 0.94, 0.5 + (i % 3) / 2]);

  for (const volume of [20, 2_000, 200_000]) {
    it(`finds the one change at any volume (${volume} a day)`, () => {
      const cps = findChangePoints('submitted', days(shape, volume));
      expect(cps.map((c) => c.at)).toEqual(['2026-01-11']);
      expect(cps[0]?.before).toBeCloseTo(0.3, 1);
      expect(cps[0]?.after).toBeCloseTo(0.94, 1);
    });
  }

  it('ignores small moves, however significant, and too short stretches', () => {
    const small: [number, number][] = shape.map(([r, n], i) => [i < 10 ? 0.3 : 0.35, n]);
    expect(findChangePoints('unsubmitted', days(small, 1_000_000))).toEqual([]);
    const blip: [number, number][] = shape.map(([, n], i) => [i === 5 || i === 6 ? 0.9 : 0.1, n]);
    expect(findChangePoints('unsubmitted', days(blip, 10_000))).toEqual([]);
  });

  it('needs more than one noisy day at tiny volumes', () => {
    const flat: [number, number][] = Array.from({ length: 20 }, (_, i) => [i === 12 ? 1 : 0, 1]);
    expect(findChangePoints('submitted', days(flat, 2))).toEqual([]);
  });
});

describe('recovery', () => {
  it('needs a real episode before and enough quiet days after', () => {
    const episode: [number, number][] = [[0, 1], [0, 1], [0.3, 1], [0.3, 1], [0.3, 1], [0, 1], [0, 1]];
    expect(findRecovery('submitted', days(episode, 100))).toMatchObject({ at: '2026-01-06', rateAfter: 0 });
    expect(findRecovery('submitted', days(episode.slice(0, 6), 100))).toBeNull(); // one quiet day is a lull
    const oneDay: [number, number][] = [[0, 1], [0.3, 1], [0, 1], [0, 1], [0, 1]];
    expect(findRecovery('submitted', days(oneDay, 100))).toBeNull(); // a single bad day is not an episode
  });
});

describe('a failing hour', () => {
  const none = { total: 0, missing: 0 };
  it('stands out from the rest of its day, by rate and by evidence', () => {
    expect(isFailingCell({ total: 60_000, missing: 31_000 }, { total: 85_000, missing: 32_000 }, none)).toBe(true);
    expect(isFailingCell({ total: 600, missing: 310 }, { total: 850, missing: 320 }, none)).toBe(true);
    // A chronic 25% hour in a 20% day: hugely "significant" at this volume, but not this hour's failure.
    expect(isFailingCell({ total: 60_000, missing: 15_000 }, { total: 300_000, missing: 63_000 }, none)).toBe(false);
    // Too few to judge.
    expect(isFailingCell({ total: 3, missing: 3 }, { total: 10, missing: 3 }, none)).toBe(false);
  });
});
