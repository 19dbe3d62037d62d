import type { Logger } from '../shared/logger.js';
import type { ChangeSourceConfig } from '../config/changes-schema.js';
import type { ChangeEvent, ChangeSourceStatus } from './event.js';
import { readFileSource } from './file-source.js';
import { FetchClock, readGitSource } from './git-source.js';
import { readHttpSource } from './http-source.js';
import type { ChangeWindow, SourceResult } from './source.js';

// Runs every configured change source at once, each under its own deadline. A source that fails or is too slow
// is named as unavailable with why; the others are still reported, and the report itself never fails on them.

export interface LoadedChanges {
  /** Every source's events in the window, oldest first. */
  events: ChangeEvent[];
  sources: ChangeSourceStatus[];
}

export type ChangesLoader = (window: ChangeWindow) => Promise<LoadedChanges>;

export interface LoaderOptions {
  logger?: Logger;
  /** How long a window's result is reused (an `all` run asks once per customer). */
  reuseMs?: number;
}

function readSource(cfg: ChangeSourceConfig, window: ChangeWindow, signal: AbortSignal, fetchClock: FetchClock): Promise<SourceResult> {
  switch (cfg.type) {
    case 'git':
      return readGitSource(cfg, window, { signal, fetchClock });
    case 'file':
      return readFileSource(cfg, window);
    case 'http':
      return readHttpSource(cfg, window, signal);
  }
}

async function withDeadline(cfg: ChangeSourceConfig, window: ChangeWindow, fetchClock: FetchClock): Promise<SourceResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      controller.abort();
      fail(new Error(`no answer within ${cfg.timeoutMs / 1000} s`));
    }, cfg.timeoutMs);
  });
  try {
    return await Promise.race([readSource(cfg, window, controller.signal, fetchClock), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function createChangesLoader(configs: ChangeSourceConfig[], opts: LoaderOptions = {}): ChangesLoader {
  const fetchClock = new FetchClock();
  const recent = new Map<string, { at: number; result: Promise<LoadedChanges> }>();
  const reuseMs = opts.reuseMs ?? 60_000;

  const load = async (window: ChangeWindow): Promise<LoadedChanges> => {
    const outcomes = await Promise.all(
      configs.map(async (cfg) => {
        try {
          return { cfg, result: await withDeadline(cfg, window, fetchClock) };
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          opts.logger?.warn({ source: cfg.name, type: cfg.type, err: error }, 'change source unavailable');
          return { cfg, error };
        }
      }),
    );
    const events = outcomes.flatMap((o) => ('result' in o && o.result ? o.result.events : []));
    events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.source.localeCompare(b.source) || a.title.localeCompare(b.title));
    const sources: ChangeSourceStatus[] = outcomes.map((o) =>
      'error' in o && o.error !== undefined
        ? { name: o.cfg.name, available: false, error: o.error }
        : { name: o.cfg.name, available: true, ...(o.result?.warning ? { error: o.result.warning } : {}) },
    );
    return { events, sources };
  };

  return (window) => {
    const key = `${window.from}|${window.to}`;
    const now = Date.now();
    for (const [k, v] of recent) if (now - v.at > reuseMs) recent.delete(k);
    const hit = recent.get(key);
    if (hit) return hit.result;
    const result = load(window);
    recent.set(key, { at: now, result });
    return result;
  };
}
