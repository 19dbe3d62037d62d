import { mkdtempSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeSourceConfigSchema, type ChangeSourceConfig } from '../../src/config/changes-schema.js';
import { createChangesLoader } from '../../src/changes/loader.js';
import { buildRepo, git, type DemoCommit } from '../../dev/demo/deployments-repo.js';

// Change sources against real git repositories built here, a real YAML file and a real HTTP server: filters,
// extraction at the commit, commit-date time zones, window edges, and every way a source can be unavailable
// without failing the others.

const root = mkdtempSync(join(tmpdir(), 'sgb-changes-'));
const repo = join(root, 'deployments');

const rel = (app: string, stage: string): string => `apps/${app}/releases/${stage}/helmrelease.yaml`;
const helm = (tag: string): string => `spec:\n  values:\n    image:\n      repository: registry.example.com/apiserver\n      tag: ${tag}\n`;

const COMMITS: DemoCommit[] = [
  { at: '2026-01-01T00:00:00Z', subject: 'layout', files: { 'README.md': 'x\n' } },
  // 04:30 UTC: an Indian-time commit.
  { at: '2026-01-05T10:00:00+05:30', subject: '[prod-main] apiserver: promote', files: { [rel('apiserver', 'us-east-1-prod')]: helm('main-A') } },
  { at: '2026-01-05T20:00:00-08:00', subject: '[staging-main] apiserver: promote', files: { [rel('apiserver', 'us-west-2-staging')]: helm('main-S') } },
  // Jan 6 local, Jan 7 07:30 in UTC: the date the report shows is UTC's.
  { at: '2026-01-06T23:30:00-08:00', subject: '[prod-main] apiserver: promote', files: { [rel('apiserver', 'us-east-1-prod')]: helm('main-B') } },
  { at: '2026-01-07T09:00:00Z', subject: '[prod-main] director: promote', files: { [rel('director', 'us-east-1-prod')]: helm('main-D') } },
  { at: '2026-01-08T00:00:00Z', subject: '[prod-main] apiserver: promote', files: { [rel('apiserver', 'us-east-1-prod')]: helm('main-C') } },
];

function gitSource(extra: Record<string, unknown> = {}): ChangeSourceConfig {
  return changeSourceConfigSchema.parse({
    type: 'git',
    name: 'releases',
    path: repo,
    paths: ['apps/apiserver/releases/**'],
    subject: 'prod-main|prod-early',
    extract: [{ name: 'tag', pattern: '^\\s*tag:\\s*(\\S+)' }],
    link: 'https://git.example.com/deployments/commit/{sha}',
    ...extra,
  });
}

const WINDOW = { from: '2026-01-05T04:30:00.000Z', to: '2026-01-08T00:00:00.000Z' };

let server: Server;
let base = '';
const pending: import('node:http').ServerResponse[] = [];

beforeAll(async () => {
  await buildRepo(repo, COMMITS);
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hang')) return void pending.push(res); // never answers
    if (req.url?.startsWith('/bad-json')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"events": [');
    if (req.url?.startsWith('/wrong-shape')) return void res.writeHead(200).end(JSON.stringify([{ at: '2026-01-06 10:00', title: 'no zone', kind: 'deploy' }]));
    if (req.url?.startsWith('/error')) return void res.writeHead(503).end('down');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify([
        { at: '2026-01-06T12:00:00+01:00', title: 'incident INC-1', kind: 'incident', link: 'https://status.example.com/1' },
        { at: '2026-02-01T00:00:00Z', title: 'outside the window', kind: 'other' },
      ]),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of pending) res.destroy();
  await new Promise((r) => server.close(r));
});

describe('git source', () => {
  it('keeps apiserver prod releases only (path and subject filters), tags read from the file at each commit, times in UTC', async () => {
    const { events, sources } = await createChangesLoader([gitSource()])(WINDOW);
    expect(sources).toEqual([{ name: 'releases', available: true }]);
    // Window [from, to): the 04:30 commit at the first instant is in, the one at `to` is out; staging and director are filtered.
    expect(events.map((e) => [e.at, e.title])).toEqual([
      ['2026-01-05T04:30:00.000Z', '[prod-main] apiserver: promote (tag main-A)'],
      ['2026-01-07T07:30:00.000Z', '[prod-main] apiserver: promote (tag main-B)'],
    ]);
    expect(events[0]).toMatchObject({ kind: 'deploy', source: 'releases' });
    expect(events[0]?.link).toMatch(/^https:\/\/git\.example\.com\/deployments\/commit\/[0-9a-f]{40}$/);
    const head = (await git(repo, ['log', '-1', '--format=%H', '--', rel('apiserver', 'us-east-1-prod')])).trim();
    expect(events.some((e) => e.link?.endsWith(head))).toBe(false); // main-C, the newest, is outside the window

    const oneSecondLater = await createChangesLoader([gitSource()])({ ...WINDOW, from: '2026-01-05T04:30:01.000Z' });
    expect(oneSecondLater.events.map((e) => e.title)).toEqual(['[prod-main] apiserver: promote (tag main-B)']);
  });

  it('a title template names the extracted value; without a subject filter staging is kept', async () => {
    const { events } = await createChangesLoader([gitSource({ subject: undefined, title: 'apiserver {tag} ({short})' })])(WINDOW);
    expect(events.map((e) => e.title.replace(/\([0-9a-f]{10}\)/, '(sha)'))).toEqual(['apiserver main-A (sha)', 'apiserver main-S (sha)', 'apiserver main-B (sha)']);
  });

  it('reads a repository whose index is locked, and writes nothing into it', async () => {
    const lock = join(repo, '.git', 'index.lock');
    writeFileSync(lock, '');
    const before = snapshot(join(repo, '.git'));
    const { events, sources } = await createChangesLoader([gitSource()])(WINDOW);
    expect(sources[0]?.available).toBe(true);
    expect(events).toHaveLength(2);
    expect(snapshot(join(repo, '.git'))).toEqual(before);
  });

  it('a missing path, a directory that is not a repository (even inside one) and a good source: two named unavailable, one read', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'sgb-plain-'));
    const inside = join(repo, 'apps');
    const loader = createChangesLoader([
      gitSource({ name: 'missing', path: join(root, 'nope') }),
      gitSource({ name: 'plain', path: plain }),
      gitSource({ name: 'inside', path: inside }),
      gitSource(),
    ]);
    const { events, sources } = await loader(WINDOW);
    expect(sources).toEqual([
      { name: 'missing', available: false, error: `the repository path ${join(root, 'nope')} does not exist` },
      { name: 'plain', available: false, error: `${plain} is not a git repository` },
      { name: 'inside', available: false, error: `${inside} is not a git repository` },
      { name: 'releases', available: true },
    ]);
    expect(events).toHaveLength(2);
  });

  it('fetchEvery: fetches a clone with a remote at most that often', async () => {
    const origin = join(root, 'origin');
    await buildRepo(origin, COMMITS.slice(0, 2));
    const clone = join(root, 'clone');
    await git(root, ['clone', '-q', origin, clone]);
    const cfg = gitSource({ path: clone, ref: 'origin/HEAD', fetchEvery: '1h' });
    const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
    const loader = createChangesLoader([cfg], { reuseMs: 0 });
    expect((await loader(window)).events).toHaveLength(1);
    // A new release lands upstream.
    await writeFileAndCommit(origin, COMMITS[3]!);
    expect((await loader(window)).events).toHaveLength(1); // fetched less than an hour ago: not again
    const fresh = createChangesLoader([cfg], { reuseMs: 0 }); // a new process: due
    const after = await fresh(window);
    expect(after.sources).toEqual([{ name: 'releases', available: true }]);
    expect(after.events.map((e) => e.title)).toEqual(['[prod-main] apiserver: promote (tag main-A)', '[prod-main] apiserver: promote (tag main-B)']);
  });
});

describe('file and http sources', () => {
  it('a YAML file of events; a time without a zone is refused with the path of the bad entry', async () => {
    const good = join(root, 'incidents.yml');
    writeFileSync(good, `- { at: "2026-01-06T09:00:00-05:00", title: "DB failover", kind: incident, link: "https://status.example.com/9" }\n- { at: "2026-01-06", title: "freeze starts" }\n`);
    const bad = join(root, 'bad.yml');
    writeFileSync(bad, `- { at: "2026-01-06 09:00", title: "no zone", kind: incident }\n`);
    const loader = createChangesLoader([
      changeSourceConfigSchema.parse({ type: 'file', name: 'incidents', path: good }),
      changeSourceConfigSchema.parse({ type: 'file', name: 'bad', path: bad }),
    ]);
    const { events, sources } = await loader(WINDOW);
    expect(events.map((e) => [e.at, e.title, e.kind, e.source])).toEqual([
      ['2026-01-06T00:00:00.000Z', 'freeze starts', 'other', 'incidents'],
      ['2026-01-06T14:00:00.000Z', 'DB failover', 'incident', 'incidents'],
    ]);
    expect(sources[1]).toEqual({ name: 'bad', available: false, error: expect.stringMatching(/^.*bad\.yml is not a list of events .*\[0\]\.at: must be a time with a zone/) });
  });

  it('an HTTP source that hangs, answers bad JSON, the wrong shape or an error: each named unavailable, the good one read', async () => {
    const http = (name: string, path: string, timeoutMs = 10_000): ChangeSourceConfig =>
      changeSourceConfigSchema.parse({ type: 'http', name, url: `${base}${path}`, timeoutMs, headers: { Authorization: 'Bearer s3cret-token' } });
    const loader = createChangesLoader([http('hangs', '/hang', 300), http('bad json', '/bad-json'), http('wrong shape', '/wrong-shape'), http('down', '/error'), http('calendar', '/events')]);
    const started = Date.now();
    const { events, sources } = await loader(WINDOW);
    expect(Date.now() - started).toBeLessThan(8_000); // the hanging source is given up on at its deadline
    expect(sources).toEqual([
      { name: 'hangs', available: false, error: 'no answer within 0.3 s' },
      { name: 'bad json', available: false, error: 'answered with something that is not JSON' },
      { name: 'wrong shape', available: false, error: expect.stringContaining('[0].at: must be a time with a zone') },
      { name: 'down', available: false, error: 'answered HTTP 503' },
      { name: 'calendar', available: true },
    ]);
    expect(JSON.stringify(sources)).not.toContain('s3cret');
    expect(JSON.stringify(sources)).not.toContain(base);
    expect(events).toEqual([{ at: '2026-01-06T11:00:00.000Z', title: 'incident INC-1', kind: 'incident', link: 'https://status.example.com/1', source: 'calendar' }]);
  });
});

function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = st.mtimeMs;
    }
  };
  walk(dir);
  return out;
}

async function writeFileAndCommit(dir: string, c: DemoCommit): Promise<void> {
  for (const [path, text] of Object.entries(c.files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  await git(dir, ['add', '--', ...Object.keys(c.files)]);
  await git(dir, ['commit', '-q', '-m', c.subject], { GIT_AUTHOR_DATE: c.at, GIT_COMMITTER_DATE: c.at });
}
