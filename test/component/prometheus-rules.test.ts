import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observability/metrics.js';
import { parsePrometheusText } from '../support/prom-text.js';
import { promtool } from '../support/promtool.js';

// deploy/prometheus/rules.yml through the real parser (Debian's promtool): the file loads, its unit tests pass (a
// steady noise of 2 missing never pages; an open alert, a stale audit and a failing audit do), a broken rule is
// refused (so the check can fail), and every metric the rules read is one the bot exports.

const DIR = join(process.cwd(), 'deploy/prometheus');
const RULES = join(DIR, 'rules.yml');

/** PromQL words that are not metric names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set(['max', 'min', 'sum', 'avg', 'count', 'by', 'without', 'rate', 'increase', 'irate', 'absent', 'and', 'or', 'unless', 'on', 'ignoring', 'bool', 'offset']);
/** Series Prometheus makes itself from a scrape. */
const PROMETHEUS_OWN = new Set(['up']);

function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/"[^"]*"/g, ' ');
  const tokens = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(tokens.filter((t) => !PROMQL_WORDS.has(t)))];
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[];
}

describe('deploy/prometheus/rules.yml', () => {
  it('passes promtool check rules and its unit tests (promtool test rules)', () => {
    expect(promtool(['check', 'rules', 'rules.yml'], DIR)).toMatch(/SUCCESS: 5 rules found/);
    expect(promtool(['test', 'rules', 'rules.test.yml'], DIR)).toMatch(/SUCCESS/);
  }, 300_000);

  it('promtool refuses a broken expression and a failing unit test (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-rules-'));
    writeFileSync(join(dir, 'rules.yml'), readFileSync(RULES, 'utf8').replace('max by (audit) (scorecard_bot_watch_stale) == 1', 'max by (audit) (scorecard_bot_watch_stale == 1'));
    expect(() => promtool(['check', 'rules', 'rules.yml'], dir)).toThrow(/parse error|unclosed|unexpected/i);
    // The stale alert made to fire on 0: its unit test must then fail.
    writeFileSync(join(dir, 'rules.yml'), readFileSync(RULES, 'utf8').replace('max by (audit) (scorecard_bot_watch_stale) == 1', 'max by (audit) (scorecard_bot_watch_stale) >= 0'));
    copyFileSync(join(DIR, 'rules.test.yml'), join(dir, 'rules.test.yml'));
    expect(() => promtool(['test', 'rules', 'rules.test.yml'], dir)).toThrow(/FAILED/);
  }, 120_000);

  it('alerts on open alerts, stale audits and failing audits, never on raw missing counts', () => {
    const file = parse(readFileSync(RULES, 'utf8')) as RuleFile;
    const rules = file.groups.flatMap((g) => g.rules);
    const used = rules.flatMap((r) => metricNames(r.expr));
    expect(used).toContain('scorecard_bot_open_alerts');
    expect(used).toContain('scorecard_bot_watch_stale');
    expect(used).toContain('scorecard_bot_audit_failures_total');
    expect(used).not.toContain('scorecard_bot_missing_scorecards');
    for (const r of rules) expect(['page', 'ticket']).toContain(r.labels?.severity);
  });

  it('every metric the rules read is one the bot exports (its /metrics text, parsed)', async () => {
    // Our metrics only: prom-client's default process metrics print "Nan" before the first event-loop sample,
    // which the strict test parser refuses (Prometheus itself reads it).
    const metrics = createMetrics({ defaultMetrics: false });
    const exported = parsePrometheusText(await metrics.registry.metrics()).types;
    const file = parse(readFileSync(RULES, 'utf8')) as RuleFile;
    const used = new Set(file.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))));
    const unknown = [...used].filter((n) => !exported.has(n) && !PROMETHEUS_OWN.has(n));
    expect(unknown).toEqual([]);
    expect(exported.get('scorecard_bot_watch_stale')).toBe('gauge');
    expect(exported.get('scorecard_bot_audit_failures_total')).toBe('counter');
  });
});
