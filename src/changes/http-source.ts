import type { HttpChangeSourceConfig } from '../config/changes-schema.js';
import { inWindow, parseProvidedEvents } from './provided-events.js';
import type { ChangeWindow, SourceResult } from './source.js';

// A URL answering with a JSON list of events. The window goes along as ?from=&to= (ISO) for endpoints that can
// filter; the answer is filtered here either way. Errors never quote the URL or the headers (tokens live there).

export async function readHttpSource(cfg: HttpChangeSourceConfig, window: ChangeWindow, signal?: AbortSignal): Promise<SourceResult> {
  const url = new URL(cfg.url);
  url.searchParams.set('from', window.from);
  url.searchParams.set('to', window.to);
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...cfg.headers }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch {
    if (timeout.aborted) throw new Error(`no answer within ${cfg.timeoutMs / 1000} s`);
    if (signal?.aborted) throw new Error('stopped waiting for it');
    throw new Error('could not connect');
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`answered HTTP ${res.status}`);
  }
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    throw new Error(timeout.aborted ? `no complete answer within ${cfg.timeoutMs / 1000} s` : 'answered with something that is not JSON');
  }
  return { events: inWindow(parseProvidedEvents(data, cfg.name, 'the answer'), window) };
}
