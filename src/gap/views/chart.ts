import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Finding, GapReport } from '../core/report.js';
import { formatHour, formatHourOfDay, formatInt, formatPct, formatRatio, formatShortDate, formatWeekdays } from '../../shared/format.js';

// The daily missing rate as a chart: a pure Vega-Lite spec from the report, and a renderer to PNG that needs no
// browser, no canvas and no system fonts (vega-lite -> vega View, renderer 'none' -> SVG -> resvg with the
// DejaVu Sans TTFs shipped in the npm package dejavu-fonts-ttf).

export const CHART_FONT_FAMILY = 'DejaVu Sans';
export const CHART_WIDTH = 1000;
const CHART_HEIGHT = 440;

const COLORS = {
  submitted: '#2563eb',
  unsubmitted: '#9333ea',
  changePoint: '#475569',
  batchFailure: '#dc2626',
  recurring: '#f97316',
  text: '#1f2937',
  muted: '#6b7280',
  grid: '#e5e7eb',
};

const POPULATION_LABEL = { submitted: 'Submitted', unsubmitted: 'Unsubmitted' } as const;

type ChangePoint = Extract<Finding, { kind: 'change_point' }>;
type BatchFailure = Extract<Finding, { kind: 'batch_failure' }>;
type RecurringFailure = Extract<Finding, { kind: 'recurring_failure' }>;
type WeeklyFailure = Extract<Finding, { kind: 'weekly_failure' }>;

const DAY_MS = 86_400_000;

function isoShift(value: string, ms: number): string {
  return new Date(new Date(value).getTime() + ms).toISOString();
}

/** The top of the y axis: 100% when any day passes 50%, else the next 10% step (at least 5%), so a 1% problem is
 *  still visible and a 95% one is not cut off. */
function yMax(maxRate: number): number {
  if (maxRate > 0.5) return 1;
  if (maxRate <= 0.04) return 0.05;
  return Math.min(1, Math.ceil(maxRate * 10 + 1e-9) / 10);
}

/** A text layer drawn twice, first as a white halo, so labels stay readable where they cross a line. */
function labelLayers(values: unknown[], mark: Record<string, unknown>, encoding: Record<string, unknown>): unknown[] {
  return [
    { data: { values }, mark: { ...mark, color: 'white', stroke: 'white', strokeWidth: 4, strokeJoin: 'round' }, encoding },
    { data: { values }, mark, encoding },
  ];
}

export function chartSpec(report: GapReport): TopLevelSpec {
  // Daily points; a one-day report (grain 'hour') is drawn by the hour instead.
  const hourly = report.period.grain === 'hour' && report.hourly.length > 0;
  const buckets = hourly
    ? report.hourly.map((h) => ({ at: h.hour, submitted: h.submitted, unsubmitted: h.unsubmitted }))
    : report.daily.map((d) => ({ at: d.date, submitted: d.submitted, unsubmitted: d.unsubmitted }));
  const points = buckets.flatMap((b) =>
    (['submitted', 'unsubmitted'] as const).flatMap((p) => {
      const c = b[p];
      if (c.total === 0) return [];
      return [{ date: b.at, population: POPULATION_LABEL[p], rate: c.missing / c.total, missing: c.missing, total: c.total }];
    }),
  );
  const bucketOf = (at: string): string => (hourly ? new Date(at).toISOString() : at.slice(0, 10));
  const rateOn = (at: string, p: 'submitted' | 'unsubmitted'): number | null => {
    const b = buckets.find((x) => (hourly ? new Date(x.at).toISOString() : x.at) === bucketOf(at));
    return b && b[p].total > 0 ? b[p].missing / b[p].total : null;
  };
  const top = yMax(Math.max(0, ...points.map((p) => p.rate)));
  const days = hourly ? 1 : report.daily.length;
  const timeFormat = hourly ? '%H:%M' : days <= 120 ? '%b %-d' : '%b %Y';
  const halfBucket = hourly ? 1_800_000 : DAY_MS / 2;

  const changes = report.findings.filter((f): f is ChangePoint => f.kind === 'change_point');
  const batches = report.findings.filter((f): f is BatchFailure => f.kind === 'batch_failure');
  const recurring = report.findings.filter((f): f is RecurringFailure => f.kind === 'recurring_failure');

  const changeData = changes.map((f, i) => ({
    at: f.at,
    row: i,
    label: `${POPULATION_LABEL[f.population]}: ${formatPct(f.before)} → ${formatPct(f.after)} on ${formatShortDate(f.at)}`,
  }));
  const batchData = batches.map((f) => ({
    // Marked on its day's point: the line is daily, the label gives the hour.
    day: bucketOf(f.at),
    rate: rateOn(f.at, f.population) ?? f.missing / Math.max(1, f.total),
    label: `Batch failure ${formatHour(f.at)}: ${formatInt(f.missing)} of ${formatInt(f.total)} ${f.population} missing (${formatRatio(f.missing, f.total)})`,
  }));
  const weekly = report.findings.filter((f): f is WeeklyFailure => f.kind === 'weekly_failure');
  // Recurring and weekly failures share the shaded band: from the first failing day to the last.
  const recurringData = [
    ...recurring.map((f) => ({
      from: f.from,
      to: f.to,
      label: `${formatHourOfDay(f.hourOfDay)} batch failing (${formatPct(f.missingRate)})${f.fixedOn ? `, fixed ${formatShortDate(f.fixedOn)}` : ''}`,
    })),
    ...weekly.map((f) => ({
      from: f.from,
      to: f.to,
      label: `Every ${formatWeekdays(f.weekdays)}${f.hourOfDay === null ? '' : ` ${formatHourOfDay(f.hourOfDay)}`} failing (${formatPct(f.missingRate)})${f.fixedOn ? `, clean ${formatShortDate(f.fixedOn)}` : ''}`,
    })),
  ].map((b, i) => ({ from: isoShift(b.from, -halfBucket), to: isoShift(b.to, halfBucket), row: i, label: b.label }));

  // Labels go on the side of their mark that has more room, so they never push the plot aside.
  const times = buckets.map((b) => new Date(b.at).getTime());
  const [tMin, tMax] = [Math.min(...times), Math.max(...times)];
  const onLeftHalf = (at: string): boolean => tMax <= tMin || new Date(at).getTime() - tMin < (tMax - tMin) / 2;

  const x = (field: string) => ({ field, type: 'temporal' as const, scale: { type: 'utc' as const } });
  const y = { scale: { domain: [0, top] } };

  const layers: unknown[] = [];
  if (recurringData.length > 0) {
    layers.push(
      {
        data: { values: recurringData },
        mark: { type: 'rect', color: COLORS.recurring, opacity: 0.13 },
        encoding: { x: x('from'), x2: { field: 'to' } },
      },
      ...labelLayers(
        recurringData,
        { type: 'text', align: 'left', baseline: 'top', dx: 4, fontSize: 11, color: '#c2410c', fontWeight: 'bold' },
        { x: x('from'), y: { value: 6 }, yOffset: { field: 'row', type: 'quantitative', scale: { domain: [0, 1], range: [0, 16] } }, text: { field: 'label' } },
      ),
    );
  }
  layers.push({
    data: { values: points },
    mark: { type: 'line', strokeWidth: 2.25, interpolate: 'linear', point: hourly || days <= 62 ? { size: 28, filled: true } : false },
    encoding: {
      x: {
        ...x('date'),
        title: null,
        axis: {
          format: timeFormat,
          labelAngle: 0,
          grid: false,
          ...(hourly ? { tickCount: { interval: 'hours', step: 2 } } : {}),
          ...(!hourly && days <= 62 ? { tickCount: { interval: 'day', step: Math.max(1, Math.ceil(days / 12)) } } : {}),
        },
      },
      y: { field: 'rate', type: 'quantitative', ...y, title: 'Missing from historic', axis: { format: '.0%', tickCount: 5 } },
      color: {
        field: 'population',
        type: 'nominal',
        title: null,
        scale: { domain: ['Submitted', 'Unsubmitted'], range: [COLORS.submitted, COLORS.unsubmitted] },
        legend: { orient: 'top', direction: 'horizontal', symbolType: 'stroke', symbolStrokeWidth: 3, labelFontSize: 12 },
      },
    },
  });
  if (changeData.length > 0) {
    layers.push(
      {
        data: { values: changeData },
        mark: { type: 'rule', color: COLORS.changePoint, strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x: x('at') },
      },
      ...[true, false].flatMap((left) => {
        const values = changeData.filter((d) => onLeftHalf(d.at) === left);
        if (values.length === 0) return [];
        return labelLayers(
          values,
          { type: 'text', align: left ? 'left' : 'right', baseline: 'top', dx: left ? 5 : -5, fontSize: 11, color: COLORS.changePoint },
          {
            x: x('at'),
            y: { value: 6 + 16 * recurringData.length },
            yOffset: { field: 'row', type: 'quantitative', scale: { domain: [0, 1], range: [0, 16] } },
            text: { field: 'label' },
          },
        );
      }),
    );
  }
  if (batchData.length > 0) {
    layers.push(
      {
        data: { values: batchData },
        mark: { type: 'point', shape: 'circle', size: 160, strokeWidth: 2.5, color: COLORS.batchFailure, filled: false },
        encoding: { x: x('day'), y: { field: 'rate', type: 'quantitative', ...y } },
      },
      ...[true, false].flatMap((left) =>
        [true, false].flatMap((high) => {
          const values = batchData.filter((d) => onLeftHalf(d.day) === left && d.rate > top * 0.85 === high);
          if (values.length === 0) return [];
          return labelLayers(
            values,
            {
              type: 'text', align: left ? 'left' : 'right', baseline: 'middle', dx: left ? 12 : -12, dy: high ? 16 : -14,
              fontSize: 11, color: COLORS.batchFailure, fontWeight: 'bold',
            },
            { x: x('day'), y: { field: 'rate', type: 'quantitative', ...y }, text: { field: 'label' } },
          );
        }),
      ),
    );
  }

  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: { left: 16, right: 24, top: 16, bottom: 12 },
    background: 'white',
    title: {
      text: `${report.customer} — ${hourly ? 'hourly' : 'daily'} missing rate, ${report.period.label}`,
      subtitle: `Share of scorecards created each ${hourly ? 'hour' : 'day'} (UTC) that are missing from historic · ${report.profile}`,
      anchor: 'start',
      fontSize: 18,
      subtitleFontSize: 12,
      subtitleColor: COLORS.muted,
      color: COLORS.text,
      offset: 10,
    },
    config: {
      font: CHART_FONT_FAMILY,
      view: { stroke: null },
      axis: { labelColor: COLORS.text, titleColor: COLORS.muted, gridColor: COLORS.grid, domainColor: '#9ca3af', tickColor: '#9ca3af', labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
      legend: { labelColor: COLORS.text },
    },
    layer: layers,
  };
  return spec as unknown as TopLevelSpec;
}

const require = createRequire(import.meta.url);

/** The TTFs resvg uses: DejaVu Sans regular and bold, from the npm package dejavu-fonts-ttf. */
export function chartFontFiles(): string[] {
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
}

/** Vega-Lite spec -> SVG (no browser, no canvas). Vega only logs dataflow errors; they are thrown here. */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const errors: unknown[] = [];
  let level = vega.Error;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error: (...args: unknown[]) => (errors.push(args[0]), logger),
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logger: logger as unknown as vega.LoggerInterface });
  try {
    await view.runAsync();
    if (errors.length > 0) throw new Error(`chart failed to render: ${String(errors[0])}`, { cause: errors[0] });
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderPngOptions {
  /** Output width in pixels (the height follows). Default 1000. */
  width?: number;
  fontFiles?: string[];
}

/** Vega-Lite spec -> PNG bytes, ~1000 px wide. */
export async function renderChartPng(spec: TopLevelSpec, options: RenderPngOptions = {}): Promise<Buffer> {
  const svg = await renderChartSvg(spec);
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'width', value: options.width ?? CHART_WIDTH },
    font: { fontFiles: options.fontFiles ?? chartFontFiles(), loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY },
  });
  return resvg.render().asPng();
}
