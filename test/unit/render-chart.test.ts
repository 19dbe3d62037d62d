import { describe, expect, it } from 'vitest';
import { chartSpec, renderChartPng, renderChartSvg } from '../../src/render/chart.js';
import { longReport, noGapReport, rentokilDayReport, rentokilReport, spiritReport } from './fixtures/gap-report-fixture.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface Layer {
  data?: { values?: Array<Record<string, unknown>> };
  mark: { type: string };
}

function layers(report: Parameters<typeof chartSpec>[0]): Layer[] {
  return (chartSpec(report) as unknown as { layer: Layer[] }).layer;
}

describe('chart spec', () => {
  it('is a pure function of the report (snapshot)', () => {
    expect(chartSpec(rentokilReport())).toEqual(chartSpec(rentokilReport()));
    expect(chartSpec(rentokilReport())).toMatchSnapshot();
  });

  it('titles the chart with the customer and period', () => {
    const spec = chartSpec(rentokilReport()) as unknown as { title: { text: string } };
    expect(spec.title.text).toBe('rentokil — daily missing rate, Jan 2026');
  });

  it('plots the daily rate of both populations', () => {
    const line = layers(rentokilReport()).find((l) => l.mark.type === 'line');
    const values = line?.data?.values ?? [];
    expect(values).toHaveLength(62);
    expect(values).toContainEqual({ date: '2026-01-21', population: 'Submitted', rate: 141 / 159, missing: 141, total: 159 });
  });

  it('marks change points, batch failures and recurring failures', () => {
    const rentokil = layers(rentokilReport());
    const rule = rentokil.find((l) => l.mark.type === 'rule');
    expect(rule?.data?.values).toEqual([expect.objectContaining({ at: '2026-01-21', label: 'Submitted: 18.6% → 93.8% on Jan 21' })]);
    const point = rentokil.find((l) => l.mark.type === 'point');
    expect(point?.data?.values).toEqual([expect.objectContaining({ day: '2026-01-23', rate: 27344 / 123499 })]);
    const spirit = layers(spiritReport());
    const rect = spirit.find((l) => l.mark.type === 'rect');
    expect(rect?.data?.values).toEqual([
      expect.objectContaining({ from: '2026-01-09T12:00:00.000Z', to: '2026-01-16T12:00:00.000Z', label: '14:00 UTC batch failing (51.8%), fixed Jan 17' }),
    ]);
    expect(layers(noGapReport()).map((l) => l.mark.type)).toEqual(['line']);
  });

  it('draws a one-day report by the hour', () => {
    const line = layers(rentokilDayReport()).find((l) => l.mark.type === 'line');
    expect(line?.data?.values).toHaveLength(48);
  });
});

describe('chart PNG', () => {
  it('renders rentokil Jan 2026 as a 1000 px wide PNG', async () => {
    const png = await renderChartPng(chartSpec(rentokilReport()));
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const { width, height } = pngSize(png);
    expect(width).toBe(1000);
    expect(height).toBeGreaterThan(300);
    expect(height).toBeLessThan(700);
  });

  it('honours a custom width and renders long and hourly reports', async () => {
    expect(pngSize(await renderChartPng(chartSpec(longReport()), { width: 600 })).width).toBe(600);
    expect(pngSize(await renderChartPng(chartSpec(rentokilDayReport()))).width).toBe(1000);
  });

  it('writes the labels as text in the SVG', async () => {
    const svg = await renderChartSvg(chartSpec(rentokilReport()));
    expect(svg).toContain('rentokil — daily missing rate, Jan 2026');
    expect(svg).toContain('Batch failure Jan 23 03:00 UTC');
  });

  it('throws instead of drawing a broken chart', async () => {
    // 'hour' is not a Vega time interval ('hours' is): Vega only logs the dataflow error, the renderer must throw.
    const bad = JSON.parse(JSON.stringify(chartSpec(rentokilDayReport())).replace('"interval":"hours"', '"interval":"hour"')) as object;
    await expect(renderChartSvg(bad as Parameters<typeof renderChartSvg>[0])).rejects.toThrow(/chart failed to render/);
  });
});
