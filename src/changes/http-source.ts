import type { HttpChangeSourceConfig } from '../config/changes-schema.js';
import { inWindow, parseProvidedEvents } from './provided-events.js';
import type { ChangeWindow, SourceResult } from './source.js';

// A URL answering with a JSON list of events. The window goes along as ?from=&to= (ISO) for endpoints that can
// filter; the answer is filtered here either way. Errors never quote the URL or the headers (tokens live there).
//
// The configured headers are credentials (Authorization, X-Api-Key, PRIVATE-TOKEN, ...), so redirects are followed
// by hand: only to the same origin, where the headers were meant to go. A redirect to another origin, https -> http
// included, is refused rather than re-sent. The body is read as a stream and refused past maxBytes, so a huge or
// endless answer cannot fill the bot's memory.

const MAX_REDIRECTS = 5;

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`;
}

async function fetchSameOrigin(url: URL, init: RequestInit): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...init, redirect: 'manual' });
    if (res.status < 300 || res.status >= 400 || !res.headers.has('location')) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw new Error(`redirected more than ${MAX_REDIRECTS} times`);
    const next = new URL(res.headers.get('location') ?? '', current);
    if (current.protocol === 'https:' && next.protocol !== 'https:') throw new Error('redirected from https to plain http; refused');
    if (next.origin !== url.origin) throw new Error(`redirected to another origin (${next.protocol}//${next.host}); refused, the configured headers go only to ${url.protocol}//${url.host}`);
    current = next;
  }
}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`answered with ${megabytes(declared)}, more than maxBytes (${megabytes(maxBytes)})`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`answered with more than maxBytes (${megabytes(maxBytes)}); stopped reading`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readHttpSource(cfg: HttpChangeSourceConfig, window: ChangeWindow, signal?: AbortSignal): Promise<SourceResult> {
  const url = new URL(cfg.url);
  url.searchParams.set('from', window.from);
  url.searchParams.set('to', window.to);
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetchSameOrigin(url, { headers: { accept: 'application/json', ...cfg.headers }, signal: both });
  } catch (err) {
    if (timeout.aborted) throw new Error(`no answer within ${cfg.timeoutMs / 1000} s`);
    if (signal?.aborted) throw new Error('stopped waiting for it');
    if (err instanceof Error && /^redirected /.test(err.message)) throw err;
    throw new Error('could not connect');
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`answered HTTP ${res.status}`);
  }
  let text: string;
  try {
    text = await readBounded(res, cfg.maxBytes);
  } catch (err) {
    if (err instanceof Error && /maxBytes/.test(err.message)) throw err;
    throw new Error(timeout.aborted ? `no complete answer within ${cfg.timeoutMs / 1000} s` : 'the answer broke off');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error('answered with something that is not JSON');
  }
  return { events: inWindow(parseProvidedEvents(data, cfg.name, 'the answer'), window) };
}
