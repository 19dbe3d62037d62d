import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import { createContext } from '../platform/read-context.js';
import { missingIdsCsvChunks } from '../gap/views/csv.js';
import { writeFile } from 'node:fs/promises';
import { chartSpec, renderChartPng } from '../gap/views/chart.js';
import { findingSentence, verdictSentence } from '../gap/views/finding-sentences.js';
import { renderImpactTable, renderTerminalReport } from '../gap/views/terminal-report.js';
import type { GapReport } from '../gap/core/report.js';
import { BotError, userFacing } from '../shared/errors.js';
import { cliFailure, reportCliError } from './cli-errors.js';
import { describeMany } from '../shared/user-messages.js';
import { planGap, runGap, runGapAll } from '../gap/gap-service.js';
import { parseGapInput } from '../gap/core/gap-input.js';
import { findingChangeLines } from '../gap/what-changed/change-lines.js';
import { changeLineText, releaseCorrelationText } from '../gap/what-changed/render-terminal.js';
import { missingIds } from '../gap/missing-ids.js';
import type { CliIo } from './cli-io.js';

const USAGE =
  'scorecard-bot gap <customer|all> <period> [--json] [--csv FILE] [--chart FILE.png] [--summary] [--config FILE]   e.g. scorecard-bot gap rentokil jan-2026';

/** `scorecard-bot gap`: a thin shell over the gap service. */
export async function gapCommand(argv: string[], io: CliIo): Promise<number> {
  // --json promises JSON on stdout, failures included: a script reads {"error": {code, message, hint}}.
  if (!argv.includes('--json')) return gapCommandInner(argv, io);
  try {
    return await gapCommandInner(argv, io);
  } catch (err) {
    // One rendering for both: the JSON's message is the sentence stderr shows, with a stable cause code.
    const shown = cliFailure(err);
    const { code, cause, message, hint } = shown;
    io.stdout.write(JSON.stringify({ error: { code, cause, message, ...(hint ? { hint } : {}) } }, null, 2) + '\n');
    return reportCliError(err, io.stderr, undefined, shown);
  }
}

async function gapCommandInner(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    argv,
    {
      json: { type: 'boolean' },
      csv: { type: 'string' },
      chart: { type: 'string' },
      summary: { type: 'boolean' },
      config: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    USAGE,
  );
  const config = await configFrom(values.config, io.env);
  const input = parseGapInput(positionals.join(' '), config.customers.map((c) => c.name), io.now?.() ?? new Date());
  if (input.customer === 'all' && (values.csv || values.chart)) {
    throw new BotError('BAD_INPUT', '--csv and --chart take one customer, not "all".', { hint: 'For example: scorecard-bot gap rentokil jan-2026 --csv missing.csv' });
  }
  const ctx = createContext(config);
  // A live counter only on a terminal; in a pipe or a log it would be a wall of lines.
  const live = !values.quiet && !values.json && (io.stderr as { isTTY?: boolean }).isTTY === true;
  const progress = (done: number, total: number): void => {
    if (!live) return;
    io.stderr.write(`\r  scanning windows ${done}/${total}`);
    if (done === total) io.stderr.write('\n');
  };
  try {
    // One instant for the report and its CSV: both leave out the same in-flight scorecards.
    const startedAt = io.now?.() ?? new Date();
    const deps = { sources: ctx.sources, clickhouse: ctx.clickhouse, settings: config.gap, logger: ctx.logger, changes: ctx.changes, now: () => startedAt };
    if (input.customer === 'all') {
      const { reports, failures } = await runGapAll(deps, input.period);
      if (values.json) {
        io.stdout.write(JSON.stringify({ reports, failures: failures.map((f) => ({ customer: f.customer, error: userFacing(f.error) })) }, null, 2) + '\n');
      } else {
        // --summary: the impact table and each customer's findings, not every table of every customer.
        for (const r of reports) io.stdout.write((values.summary ? renderFindingsSummary(r) : renderTerminalReport(r)) + '\n');
        // An impact table of no reports ("Total (0 customers)") would read like a clean bill of health.
        if (reports.length > 0) io.stdout.write(renderImpactTable(reports) + '\n');
        const correlation = reports.length > 0 ? releaseCorrelationText(reports) : null;
        if (correlation) io.stdout.write(correlation + '\n');
        if (reports.length === 0 && failures.length > 0) {
          const all = describeMany(failures.map((f) => ({ customer: f.customer, cause: userFacing(f.error).cause })));
          io.stderr.write(`error: ${all.message} No report.\n`);
        }
        for (const f of failures) io.stderr.write(`${failureLine(f.customer, f.error)}\n`);
      }
      return failures.length > 0 ? 1 : 0;
    }
    const report = await runGap(deps, input.customer, input.period, { onProgress: progress });
    io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderTerminalReport(report) + '\n');
    if (values.chart) {
      await writeFile(values.chart, await renderChartPng(chartSpec(report)));
      if (!values.json) io.stdout.write(`Chart written to ${values.chart}\n`);
    }
    if (values.csv) {
      const out = createWriteStream(values.csv);
      const plan = planGap(ctx.sources, config.gap, input.customer, input.period, startedAt);
      for await (const chunk of missingIdsCsvChunks(missingIds(ctx.sources, plan))) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      if (!values.json) io.stdout.write(`Missing scorecard IDs written to ${values.csv}\n`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

export const gapCliUsage = USAGE;

/** "acme: <message>", once: a run's own message may already start with the customer's name. */
function failureLine(customer: string, error: unknown): string {
  const { message, hint } = userFacing(error);
  const line = message.startsWith(`${customer}:`) || message.startsWith(`${customer} `) ? message : `${customer}: ${message}`;
  return hint ? `${line}\n  ${hint}` : line;
}

function renderFindingsSummary(r: GapReport): string {
  // Under each finding, the changes next to it (only those with one: the summary stays short).
  const lines = [
    `${r.customer}: ${verdictSentence(r)}`,
    ...r.findings.flatMap((f) => [`  - ${findingSentence(f, r.findings)}`, ...findingChangeLines(f).filter((l) => l.lead).map((l) => changeLineText(l, '      '))]),
  ];
  return lines.join('\n');
}
