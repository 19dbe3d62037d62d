// Threat: a password containing `@` (or `:`, `/`, `?`, `#`, `%`) is half-masked and half-posted. pg takes the LAST
// `@` of the authority, the old mask stopped at the first. Property test: random passwords mixing the URL's own
// delimiters with Greek letters, which occur nowhere else in any output (not in a log line's stack or numbers), in
// every output path: not one Greek letter may survive, raw or percent-encoded (%CE/%CF).
import { Writable } from 'node:stream';
import { parse } from 'pg-connection-string';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configuredWriterIdentity, describeIdentity, canonicalIdentity } from '../../src/backfill/writer-identity.js';
import { createLogger } from '../../src/shared/logger.js';
import { maskDeep, maskError, maskSecrets } from '../../src/shared/mask.js';

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DISTINCT = 'αβγδεζηθικλμνξοπρστυφχψω';
const SPECIAL = '@:/?#%';
// What a URL must encode for the authority to stay one authority; `@` and `:` may also stay raw in a password.
const MUST_ENCODE = new Set(['/', '?', '#', '%']);

function randomSecret(rand: () => number, chars: string, min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(rand() * chars.length)];
  // At least one distinctive byte, so "nothing survives" is checkable.
  return s + DISTINCT[Math.floor(rand() * DISTINCT.length)];
}

function encodeSome(rand: () => number, text: string): string {
  return [...text].map((ch) => (MUST_ENCODE.has(ch) || rand() < 0.5 ? encodeURIComponent(ch) : ch)).join('');
}

interface Case {
  url: string;
  user: string;
  password: string;
}

function cases(n: number): Case[] {
  const rand = mulberry32(19);
  const out: Case[] = [];
  while (out.length < n) {
    const user = ['writer', 'scorecard_bot', 'svc'][Math.floor(rand() * 3)]!;
    const password = randomSecret(rand, DISTINCT + SPECIAL, 1, 16);
    const url = `postgres://${user}:${encodeSome(rand, password)}@db.internal:5432/tenant_db`;
    // Only URLs pg itself reads with this password are cases: what would connect is what must not leak.
    if (parse(url).password !== password) continue;
    out.push({ url, user, password });
  }
  return out;
}

const survivors = (output: string, password: string): string[] => [
  ...new Set([...password].filter((ch) => DISTINCT.includes(ch) && output.includes(ch))),
  ...(/%C[EF]/i.test(output) ? ['percent-encoded Greek'] : []),
];

function captureLogger(): { logger: ReturnType<typeof createLogger>; text(): string } {
  let text = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), text: () => text };
}

const CASES = cases(300);

describe('a password with URL delimiters in it, in every output path', () => {
  it('generates passwords pg really reads with @ : / ? # % in them', () => {
    const all = CASES.map((c) => c.password).join('');
    for (const ch of SPECIAL) expect(all).toContain(ch);
    // ... including raw `@` and `:` inside the authority, which pg reads up to the last `@`.
    expect(CASES.filter((c) => c.url.split('@').length > 2).length).toBeGreaterThan(20);
    expect(CASES.filter((c) => c.url.split('://')[1]!.split('@')[0]!.split(':').length > 2).length).toBeGreaterThan(20);
  });

  it('masks it in free text, error lines and JSON', () => {
    for (const c of CASES) {
      const outputs = [
        maskSecrets(`could not connect to ${c.url}: timeout`),
        maskError(new Error(`connect ECONNREFUSED (${c.url})`)),
        maskSecrets(JSON.stringify({ target: c.url, note: 'x' })),
        maskSecrets(`url=${c.url}`),
      ];
      for (const o of outputs) expect(survivors(o, c.password), `${c.url} -> ${o}`).toEqual([]);
    }
  });

  it('keeps what a reader needs: user, host and database', () => {
    for (const c of CASES.slice(0, 50)) expect(maskSecrets(`to ${c.url} now`)).toBe(`to postgres://${c.user}:***@db.internal:5432/tenant_db now`);
  });

  it('masks it in the log', () => {
    const { logger, text } = captureLogger();
    for (const c of CASES) logger.error({ err: new Error(`failed on ${c.url}`), target: c.url }, `writer ${c.url} failed`);
    const log = text();
    for (const c of CASES) expect(survivors(log, c.password), c.url).toEqual([]);
  });

  it('masks it in config:check and never puts it in the plan target or the ops identity', () => {
    for (const c of CASES.slice(0, 100)) {
      const config = parseConfig(
        JSON.stringify({
          customers: [{ name: 'tenant', profile: 'p', postgres: { url: c.url }, writer: { url: c.url } }],
          redis: { url: 'redis://127.0.0.1:6379' },
          ops: { url: c.url },
        }),
        {},
      );
      const printed = JSON.stringify(maskDeep(config));
      expect(survivors(printed, c.password), printed).toEqual([]);
      const identity = configuredWriterIdentity(config.customers[0]!, undefined, false);
      expect(survivors(describeIdentity(identity!), c.password)).toEqual([]);
      expect(survivors(canonicalIdentity(identity), c.password)).toEqual([]);
    }
  });

  it('masks ?password= parameters and key=value DSNs too', () => {
    for (const c of CASES.slice(0, 100)) {
      const q = maskSecrets(`postgres://db.internal/tenant_db?user=${c.user}&password=${encodeURIComponent(c.password)}&sslmode=require`);
      expect(survivors(q, c.password), q).toEqual([]);
      expect(q).toContain('sslmode=require');
      const dsn = maskSecrets(`host=db.internal user=${c.user} password='${c.password.replaceAll("'", "\\'")}' dbname=tenant_db`);
      expect(survivors(dsn, c.password), dsn).toEqual([]);
      expect(dsn).toContain('dbname=tenant_db');
    }
  });
});
