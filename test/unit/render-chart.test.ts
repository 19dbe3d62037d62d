import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chartSpec, renderChartPng, renderChartSvg } from '../../src/gap/views/chart.js';
import { longReport, noGapReport, rentokilDayReport, rentokilReport, spiritReport } from './fixtures/gap-report-fixture.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what resvg writes) into RGBA pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: (x: number, y: number) => [number, number, number] } {
  const { width, height } = pngSize(png);
  const [depth, colorType, , , interlace] = [png[24], png[25], png[26], png[27], png[28]];
  if (depth !== 8 || (colorType !== 6 && colorType !== 2) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth} type ${colorType}`);
  const channels = colorType === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= channels ? out[y * stride + i - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter!] ?? 0;
      out[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return { width, height, rgba: (x, y) => [out[y * stride + x * channels]!, out[y * stride + x * channels + 1]!, out[y * stride + x * channels + 2]!] };
}

interface Layer {
  data?: { values?: Array<Record<string, unknown>> };
  mark: { type: string };
}

function layers(report: Parameters<typeof chartSpec>[0]): Layer[] {
  return (chartSpec(report) as unknown as { layer: Layer[] }).layer;
}

describe('chart spec', () => {
  it('matches its snapshot', () => {
    expect(chartSpec(rentokilReport())).toMatchSnapshot();
  });

  it("plots exactly the fixture's daily missing rates, the incident's Jan 15-28 among them", () => {
    const report = rentokilReport();
    const values = layers(report).find((l) => l.mark.type === 'line')?.data?.values ?? [];
    // Every day and population of the fixture with scorecards, at missing / total, computed here.
    const expected = report.daily.flatMap((d) =>
      (['submitted', 'unsubmitted'] as const)
        .filter((p) => d[p].total > 0)
        .map((p) => ({ date: d.date, population: p === 'submitted' ? 'Submitted' : 'Unsubmitted', rate: d[p].missing / d[p].total, missing: d[p].missing, total: d[p].total })),
    );
    expect(values).toHaveLength(expected.length);
    expect(values).toEqual(expect.arrayContaining(expected));
    // The incident report's submitted numbers for Jan 15-28, typed out: [total, missing].
    const incident: Array<[number, number]> = [
      [129, 26], [128, 38], [49, 22], [34, 13], [62, 30], [216, 104], [159, 141], [119, 116], [95, 92], [25, 22], [24, 23], [102, 98], [81, 77], [26, 23],
    ];
    const submitted = (day: number) => values.find((v) => v.date === `2026-01-${String(day).padStart(2, '0')}` && v.population === 'Submitted');
    incident.forEach(([total, missing], i) => expect(submitted(15 + i)).toMatchObject({ total, missing, rate: missing / total }));
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

  it("draws each day's point where the fixture's rate puts it", async () => {
    const report = rentokilReport();
    const img = decodePng(await renderChartPng(chartSpec(report)));
    // The submitted line's blue (#2563eb) and the unsubmitted line's purple (#9333ea), below the legend.
    const isBlue = ([r, g, b]: number[]) => r! < 90 && g! > 60 && g! < 140 && b! > 200;
    const isPurple = ([r, g, b]: number[]) => r! > 120 && r! < 175 && g! < 90 && b! > 200;
    const top = 80;
    const columns = (match: (p: number[]) => boolean) =>
      Array.from({ length: img.width }, (_, x) => {
        const ys: number[] = [];
        for (let y = top; y < img.height; y++) if (match(img.rgba(x, y))) ys.push(y);
        return ys;
      });
    const blue = columns(isBlue);
    const purple = columns(isPurple);
    const drawn = blue.flatMap((ys, x) => (ys.length > 0 ? [x] : []));
    expect(drawn.length).toBeGreaterThan(500); // the line runs across the plot
    // Jan 1 and Jan 31 are the line's ends (point markers of radius ~3 px): 30 equal steps between them.
    const [x1, x31] = [drawn[0]! + 3, drawn[drawn.length - 1]! - 3];
    const xOf = (day: number) => Math.round(x1 + ((day - 1) * (x31 - x1)) / 30);
    const median = (ys: number[]) => [...ys].sort((a, b) => a - b)[Math.floor(ys.length / 2)]!;
    // A point's centre: the rows where the colour is widest around the column (the marker is a disk; a steep line
    // through the same column is only a pixel or two wide).
    const pointY = (match: (p: number[]) => boolean, ys: number[], x: number): number => {
      const width = (y: number) => Array.from({ length: 9 }, (_, i) => x - 4 + i).filter((c) => match(img.rgba(c, y))).length;
      const widest = Math.max(...ys.map(width));
      return median(ys.filter((y) => width(y) >= widest - 1));
    };
    // Most unsubmitted days are at 0%: the zero line's y. 100% is where a rate of 1 would be, fitted below.
    const zeroY = median(purple[xOf(10)]!);
    const points = report.daily.map((d, i) => ({ day: i + 1, rate: d.submitted.missing / d.submitted.total, y: pointY(isBlue, blue[xOf(i + 1)]!, xOf(i + 1)) }));
    const fullHeight = points.reduce((s, p) => s + p.rate * (zeroY - p.y), 0) / points.reduce((s, p) => s + p.rate * p.rate, 0);
    expect(fullHeight).toBeGreaterThan(250);
    for (const p of points) expect(Math.abs(zeroY - p.rate * fullHeight - p.y), `Jan ${p.day}: rate ${p.rate.toFixed(3)}`).toBeLessThanOrEqual(3);
    // The unsubmitted batch failure on Jan 23: 27,344 of 123,499 that day.
    expect(Math.abs(zeroY - (27344 / 123499) * fullHeight - pointY(isPurple, purple[xOf(23)]!, xOf(23)))).toBeLessThanOrEqual(3);
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
