import { describe, expect, it } from 'vitest';
import { defaultGroundTruthPath, parseDemoDataArgs, runDemoData } from '../../dev/demo/demo-data-command.js';

describe('demo-data arguments', () => {
  it('applies the defaults', () => {
    const r = parseDemoDataArgs(['--database-url', 'postgres://postgres@127.0.0.1:5432/demo']);
    expect(r).toEqual({
      ok: true,
      args: {
        'database-url': 'postgres://postgres@127.0.0.1:5432/demo',
        'clickhouse-database': 'conversations',
        'clickhouse-table': 'scorecard_scores',
        scale: 0.01,
        seed: 42,
        replace: false,
        'if-absent': false,
      },
    });
  });

  it('parses every option, in both --flag value and --flag=value forms', () => {
    const r = parseDemoDataArgs([
      '--database-url=postgresql://u@h/db', '--clickhouse-url', 'http://127.0.0.1:8123', '--scale', '1', '--seed=7',
      '--customers', 'spirit, nclh', '--from', '2026-01-01', '--to=2026-02-01', '--replace', '--ground-truth', 'gt.json',
      '--clickhouse-database', 'demo', '--clickhouse-table', 'scores',
    ]);
    expect(r.ok && r.args).toMatchObject({
      scale: 1, seed: 7, customers: ['spirit', 'nclh'], from: '2026-01-01', to: '2026-02-01', replace: true,
      'ground-truth': 'gt.json', 'clickhouse-url': 'http://127.0.0.1:8123', 'clickhouse-database': 'demo', 'clickhouse-table': 'scores',
    });
  });

  it('lists every problem, each with an example', () => {
    const r = parseDemoDataArgs(['--scale', '2', '--seed', 'x', '--customers', 'acme', '--from', '2026-13-01', '--bogus', '1', 'stray', '--clickhouse-table', 'drop table']);
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/unknown option --bogus/),
        expect.stringMatching(/unexpected argument "stray"/),
        expect.stringMatching(/--database-url is required, e\.g\./),
        expect.stringMatching(/--scale must be in \(0, 1\].*e\.g\. --scale/),
        expect.stringMatching(/--seed must be an integer, e\.g\. --seed 42/),
        expect.stringMatching(/--customers .*e\.g\. --customers/),
        expect.stringMatching(/--from must be a date YYYY-MM-DD, e\.g\./),
        expect.stringMatching(/--clickhouse-table must be a ClickHouse identifier/),
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it('checks the range against the dataset', () => {
    const r = parseDemoDataArgs(['--database-url', 'postgres://h/db', '--from', '2026-02-01', '--to', '2026-01-01']);
    expect(!r.ok && r.problems.join('\n')).toMatch(/--from\/--to: from 2026-02-01 must be before to 2026-01-01/);
    const outside = parseDemoDataArgs(['--database-url', 'postgres://h/db', '--from', '2024-01-01']);
    expect(!outside.ok && outside.problems.join('\n')).toMatch(/covers 2025-07-01\.\.2026-03-01/);
  });

  it('runDemoData answers bad arguments with exit code 2 and one message', async () => {
    const lines: string[] = [];
    const code = await runDemoData(['--scale', 'lots'], { log: (l) => lines.push(l), stdout: { write: () => true } });
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^demo-data: invalid arguments:\n {2}- /);
    expect(lines[0]).toMatch(/usage: scorecard-bot demo-data --database-url URL/);
  });

  it('names the default ground-truth file after seed, scale and subset', () => {
    expect(defaultGroundTruthPath('/w', { seed: 42, scale: 0.01 })).toBe('/w/.cache/demo/ground-truth-42-0.01.json');
    expect(defaultGroundTruthPath('/w', { seed: 1, scale: 1, customers: ['spirit'], from: '2026-01-01', to: '2026-02-01' })).toBe(
      '/w/.cache/demo/ground-truth-1-1-spirit-2026-01-01..2026-02-01.json',
    );
  });
});
