import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { missingIdsCsvChunks } from './views/csv.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import { cursorBatches } from './cursor-batches.js';
import type { GapPlan } from './gap-service.js';
import { missingIdsQuery } from './core/queries.js';
import { dayWindows } from './core/windows.js';

export interface MissingIdRow {
  scorecardId: string;
  population: 'submitted' | 'unsubmitted';
  createdAt: string;
  submittedAt: string | null;
  /** missing: no historic row at all; partial: in historic, but a director score lacks its historic row. */
  state: 'missing' | 'partial';
}

/**
 * Rows a FETCH brings. Memory holds one batch (~1-2 MB as row objects), however many scorecards a day misses.
 * Measured on 250k missing in one day: 1,000 a batch took 5% longer than 5,000, for the same peak RSS.
 */
export const MISSING_IDS_FETCH_ROWS = 5000;

/**
 * Missing and partial IDs of the period (in-flight ones left out, with the run's own cutoff), in created order: a day at a time (one short read-only transaction each, so no
 * snapshot is held open across the whole period), each day read through a cursor a batch at a time.
 */
export async function* missingIds(sources: CustomerSources, plan: GapPlan): AsyncGenerator<MissingIdRow> {
  const db = await sources.readOnly(plan.customer);
  for (const w of dayWindows(new Date(plan.period.from), new Date(plan.period.to))) {
    const q = missingIdsQuery(plan.customer, plan.profile, new Date(w.from), new Date(w.to), new Date(plan.settle.cutoff));
    type Row = { scorecard_id: string; created_at: Date; submitted_at: Date | null; state: 'missing' | 'partial' };
    for await (const rows of cursorBatches<Row>(db, q.text, q.values, MISSING_IDS_FETCH_ROWS)) {
      for (const r of rows) {
        yield {
          scorecardId: r.scorecard_id,
          population: r.submitted_at ? 'submitted' : 'unsubmitted',
          createdAt: r.created_at.toISOString(),
          submittedAt: r.submitted_at?.toISOString() ?? null,
          state: r.state,
        };
      }
    }
  }
}

export interface MissingIdsFile {
  path: string;
  /** Rows written (at most maxRows). */
  rows: number;
  /** More rows than maxRows existed: the file holds the first maxRows, in created order. */
  truncated: boolean;
  gzipped: boolean;
  /** Removes the file and its directory; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * The missing-ID CSV streamed to a temporary file (under os.tmpdir()), for an upload from disk: memory holds a
 * cursor batch, never the whole CSV. The caller removes it once uploaded; on failure it is removed here.
 */
export interface CsvFileOptions {
  dir?: string;
  /** Rows at most (slack.csvMaxRows): the Slack SDK reads an upload into memory whole. Default: no bound. */
  maxRows?: number;
  /** Gzip the file (`.csv.gz`): for large ones, which compress about 4:1. */
  gzip?: boolean;
}

/** Above this many rows the Slack upload is gzipped. */
export const CSV_GZIP_ABOVE_ROWS = 50_000;

export async function missingIdsCsvFile(sources: CustomerSources, plan: GapPlan, opts: CsvFileOptions = {}): Promise<MissingIdsFile> {
  const folder = await mkdtemp(join(opts.dir ?? tmpdir(), 'scorecard-bot-csv-'));
  const remove = (): Promise<void> => rm(folder, { recursive: true, force: true });
  const gzipped = opts.gzip === true;
  const path = join(folder, `${plan.customer}-missing-scorecards.csv${gzipped ? '.gz' : ''}`);
  const maxRows = opts.maxRows ?? Infinity;
  let rows = 0;
  let truncated = false;
  async function* bounded(): AsyncGenerator<MissingIdRow> {
    for await (const r of missingIds(sources, plan)) {
      // Leaving the loop closes the cursor: nothing past the bound is read.
      if (rows >= maxRows) {
        truncated = true;
        return;
      }
      rows++;
      yield r;
    }
  }
  try {
    const source = Readable.from(missingIdsCsvChunks(bounded()));
    if (gzipped) await pipeline(source, createGzip(), createWriteStream(path));
    else await pipeline(source, createWriteStream(path));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, rows, truncated, gzipped, remove };
}
