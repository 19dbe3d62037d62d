import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoDeploymentsRepo, FLAG, PROD_FLAG_AT, PROD_RELEASES } from '../../dev/demo/deployments-repo.js';
import type { Customer } from '../../dev/demo/incident-profile.js';
import { gapReportSchema, type GapReport } from '../../src/gap/core/report.js';
import { assertWithinSlackLimits } from '../../src/slack/limits.js';
import { threadMessages } from '../../src/gap/views/thread-messages.js';
import { createDemoDatabase, type DemoDatabase } from '../support/demo-database.js';
import { runGapCli, writeConfigFile, type GapCliRun } from '../support/gap-cli-run.js';

// "What changed around then" end to end: the incident dataset in PostgreSQL, the demo deployments repository in
// git, an HTTP change source that never answers. Expected values come from the dataset's ground truth and from
// the investigation's deployment timeline (the repository's commits), never from the code under test.

let demo: DemoDatabase;
let server: Server;
const hanging: ServerResponse[] = [];
const root = mkdtempSync(join(tmpdir(), 'sgb-changes-e2e-'));
const repo = join(root, 'deployments');
let calendarUrl = '';

beforeAll(async () => {
  await buildDemoDeploymentsRepo(repo);
  server = createServer((_req, res) => void hanging.push(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  calendarUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  // From August: the one-offs planted earlier (guitar-center Jan 2025, nclh Jul 2025) are outside what the report scans.
  demo = await createDemoDatabase({ scale: 0.002, seed: 7, clickhouse: false, from: '2025-08-01' });
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await new Promise((r) => server.close(r));
  await demo?.drop();
});

const CHANGES = () => [
  {
    type: 'git',
    name: 'apiserver prod releases',
    path: repo,
    paths: ['apps/apiserver/releases/**'],
    subject: 'prod-main|prod-early',
    kind: 'deploy',
    extract: [{ name: 'tag', pattern: '^\\s*tag:\\s*(\\S+)' }],
    title: 'apiserver release {tag}',
    link: 'https://github.com/example/flux-deployments/commit/{sha}',
  },
  { type: 'git', name: 'apiserver prod flags', path: repo, paths: ['apps/apiserver/config/us-east-1-prod/**'], subject: 'enable|disable', kind: 'flag', link: 'https://github.com/example/flux-deployments/commit/{sha}' },
  { type: 'http', name: 'change calendar', url: calendarUrl, timeoutMs: 500 },
];

async function run(args: string[], withChanges = true): Promise<GapCliRun> {
  const configPath = writeConfigFile(demo.config(withChanges ? { changes: CHANGES() } : {}));
  return runGapCli([...args, '--config', configPath, '--quiet']);
}

const CUSTOMERS: Customer[] = ['rentokil', 'spirit', 'guitar-center', 'nclh'];
const day = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

describe('gap all jan-2026 with change sources', () => {
  let reports: GapReport[] = [];

  it('--json: each recovery sits next to the flag commit; the hanging source is named unavailable and the report is complete', async () => {
    const { code, stdout } = await run(['all', 'jan-2026', '--json']);
    expect(code).toBe(0);
    reports = (JSON.parse(stdout) as { reports: unknown[] }).reports.map((r) => gapReportSchema.parse(r));
    expect(reports.map((r) => r.customer)).toEqual(CUSTOMERS);
    const plain = (JSON.parse((await run(['all', 'jan-2026', '--json'], false)).stdout) as { reports: GapReport[] }).reports;
    for (const r of reports) {
      expect(r.changeSources).toEqual([
        { name: 'apiserver prod releases', available: true },
        { name: 'apiserver prod flags', available: true },
        { name: 'change calendar', available: false, error: 'no answer within 0.5 s' },
      ]);
      // Complete: the same numbers and findings as without change sources.
      const same = plain.find((p) => p.customer === r.customer)!;
      expect(r.populations).toEqual(same.populations);
      expect(r.findings.map((f) => f.kind)).toEqual(same.findings.map((f) => f.kind));
      expect(plain.every((p) => p.changes === undefined && p.findings.every((f) => !('nearbyChanges' in f)))).toBe(true);
      // Only prod apiserver releases and the prod flag: staging, other apps and docs are filtered out.
      expect(r.changes?.map((c) => c.title)).toEqual([
        ...PROD_RELEASES.map((p) => `apiserver release ${p.tag}`),
        `apiserver: enable ${FLAG} in us-east-1-prod (#253866)`,
      ]);
      const recovery = r.findings.find((f) => f.kind === 'recovery' && f.population === 'submitted');
      expect(recovery && 'at' in recovery ? recovery.at : null).toBe(day(PROD_FLAG_AT)); // ground truth: FIXED_ON
      expect(recovery?.nearbyChanges?.[0]).toMatchObject({ kind: 'flag', at: new Date(PROD_FLAG_AT).toISOString(), title: expect.stringContaining(FLAG) });
    }
  });

  it('spirit: the first missing submitted scorecard is nearest the Jan 8 release, hours before it', () => {
    const spirit = reports.find((r) => r.customer === 'spirit')!;
    const truth = demo.truth.perCustomer.spirit!.firstMissing.submitted!;
    const onset = spirit.findings.find((f) => f.kind === 'onset' && f.population === 'submitted');
    const jan8 = PROD_RELEASES[1];
    expect(onset?.nearbyChanges?.[0]).toMatchObject({ title: `apiserver release ${jan8.tag}`, anchor: 'firstMissingAt' });
    expect(onset?.nearbyChanges?.[0]?.offsetMinutes).toBe(Math.trunc((Date.parse(jan8.at) - Date.parse(truth.createdAt)) / 60_000));
  });

  it('the correlation table: first missing against the release before and after, as in the investigation', async () => {
    const { code, stdout } = await run(['all', 'jan-2026', '--summary']);
    expect(code).toBe(0);
    const table = stdout.slice(stdout.indexOf('Correlation with missing scorecards'));
    for (const c of CUSTOMERS) {
      const fm = demo.truth.perCustomer[c]!.firstMissing.submitted!.createdAt;
      const before = [...PROD_RELEASES].reverse().find((p) => Date.parse(p.at) <= Date.parse(fm))!;
      const after = PROD_RELEASES.find((p) => Date.parse(p.at) > Date.parse(fm))!;
      const row = table.split('\n').find((l) => l.startsWith(`| ${c} `))!;
      expect(row).toContain(before.tag);
      expect(row).toContain(after.tag);
      expect(row).toMatch(day(before.at) === day(fm) ? /Same day as \w+ \d+ release/ : /After \w+ \d+ release/);
    }
    // The investigation's own words for the two customers it singled out.
    expect(table.split('\n').find((l) => l.startsWith('| spirit '))).toContain('Same day as Jan 8 release');
    expect(table.split('\n').find((l) => l.startsWith('| rentokil '))).toContain('After Dec 17 release');
    expect(stdout).toContain('Unavailable change sources: change calendar (no answer within 0.5 s).');
    // Under each customer's recovery, the flag commit.
    for (const c of CUSTOMERS) {
      const block = stdout.slice(stdout.indexOf(`${c}: ${c}, Jan 2026`));
      const recovered = block.slice(block.indexOf('Missing rate for submitted scorecards recovered'));
      expect(recovered.split('\n').slice(1, 3).join('\n')).toMatch(new RegExp(`Recovered \\(submitted\\) from Jan 29: changes that day:\\n\\s+- flag: apiserver: enable ${FLAG}`));
    }
    expect(stdout).not.toMatch(/caused by/i);
  });

  it('one customer: the terminal section and timeline, and the Slack thread with linked changes, at most three per finding', async () => {
    const { stdout } = await run(['spirit', 'jan-2026']);
    expect(stdout).toContain('What changed around then');
    expect(stdout).toMatch(/First missing \(submitted\) Jan 8 22:37 UTC: nearest change before:\n\s+- deploy: apiserver release main-20260108_153010z-c86fe8e9/);
    const timeline = stdout.slice(stdout.indexOf('Release timeline'));
    const order = ['main-20251217_201515z-49d58a85', 'main-20260108_153010z-c86fe8e9', '▶ First missing submitted scorecard created', 'main-20260114_003446z-5ab66507', FLAG];
    const positions = order.map((s) => timeline.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    const spirit = reports.find((r) => r.customer === 'spirit')!;
    const messages = threadMessages(spirit, { runId: 'run-1' });
    for (const m of messages) assertWithinSlackLimits(m);
    const section = messages.find((m) => JSON.stringify(m.blocks).includes('What changed around then'))!;
    const text = JSON.stringify(section.blocks);
    expect(text).toContain('nearest change before');
    expect(text).toMatch(/<https:\/\/github\.com\/example\/flux-deployments\/commit\/[0-9a-f]{40}\|apiserver release main-20260108_153010z-c86fe8e9>/);
    expect(text).not.toMatch(/caused by/i);
    const lines = section.blocks.flatMap((b) => ((b as { text?: { text?: string } }).text?.text ?? '').split('\n')).filter((l) => l.startsWith('•'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect((l.match(/<https:/g) ?? []).length).toBeLessThanOrEqual(3);
    // The release timeline is in the same message as the section (one reply for what changed around then).
    expect(JSON.stringify(section.blocks)).toContain('Release timeline');
  });
});
