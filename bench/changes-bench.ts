// `npm run bench:changes`: reading "what changed" from a deployments repository of 50,000 commits (about 4 years
// of a busy GitOps repository: 12 apps x 4 stages, ~34 commits a day), a 3-month window, as a gap report asks.
// Target: under 1 s. Baseline, in the same process: the naive read, `git log` of the whole history (same pathspecs,
// no --since/--until) filtered by date afterwards. Both must find the same events. Median of 5 runs each.
// The repository is generated once with `git fast-import` into .cache/bench-changes-50k (BENCH_CHANGES_REPO).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { changeSourceConfigSchema, type GitChangeSourceConfig } from '../src/config/changes-schema.js';
import { runGit } from '../src/changes/git-exec.js';
import { GIT_LOG_FORMAT, parseGitLog, readGitSource } from '../src/changes/git-source.js';

const REPO = process.env.BENCH_CHANGES_REPO ?? '.cache/bench-changes-50k';
const COMMITS = 50_000;
const RUNS = 5;
const START = Date.parse('2022-03-01T00:00:00Z');
const END = Date.parse('2026-03-01T00:00:00Z');
const APPS = ['apiserver', 'director', 'chat-ai', 'voice', 'coaching', 'insights', 'gateway', 'auth', 'search', 'ingest', 'notifier', 'billing'];
const STAGES = ['us-east-1-prod', 'us-west-2-staging', 'voice-staging', 'chat-staging'];

function fastImportStream(): string {
  const parts: string[] = [];
  let mark = 0;
  for (let i = 0; i < COMMITS; i++) {
    // Deterministic spread with jitter; offsets vary like real committers'.
    const t = Math.floor((START + ((END - START) * (i + ((i * 7919) % 97) / 100)) / COMMITS) / 1000);
    const app = APPS[(i * 31) % APPS.length]!;
    const stage = STAGES[(i * 17) % STAGES.length]!;
    const flags = i % 29 === 0;
    const path = flags ? `apps/${app}/config/${stage}/feature-flags.yaml` : `apps/${app}/releases/${stage}/helmrelease.yaml`;
    const tag = `main-${new Date(t * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '_')}z-${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}`;
    const body = flags
      ? `FLAG_${i % 50}: "${i % 2 === 0}"\n`
      : `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${app}\nspec:\n  values:\n    image:\n      tag: ${tag}\n`;
    const lane = stage.endsWith('prod') ? (i % 5 === 0 ? 'prod-early' : 'prod-main') : 'staging-main';
    const subject = flags ? `${app}: toggle FLAG_${i % 50} in ${stage}` : `[${lane}] ${app}: promote ${tag} to ${stage}`;
    const tz = ['+0000', '-0500', '+0530', '-0800'][i % 4]!;
    mark++;
    parts.push(
      `commit refs/heads/main\nmark :${mark}\ncommitter Bench <bench@example.com> ${t} ${tz}\ndata ${Buffer.byteLength(subject)}\n${subject}\n` +
        `M 100644 inline ${path}\ndata ${Buffer.byteLength(body)}\n${body}\n`,
    );
  }
  return parts.join('');
}

async function generate(): Promise<void> {
  await rm(REPO, { recursive: true, force: true });
  await runGit('.', ['init', '-q', '-b', 'main', REPO]);
  await new Promise<void>((done, fail) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: REPO, stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`git fast-import exited ${code}`))));
    child.stdin.end(fastImportStream());
  });
  await runGit(REPO, ['reset', '-q', '--hard', 'main']).catch(() => undefined);
}

async function median(fn: () => Promise<number>): Promise<{ ms: number; count: number }> {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    count = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(RUNS / 2)]!, count };
}

/** The naive read: the whole history's log, then the same date and subject filters in memory (no extraction). */
async function wholeHistory(cfg: GitChangeSourceConfig, window: { from: string; to: string }): Promise<number> {
  const out = await runGit(REPO, ['log', '-z', GIT_LOG_FORMAT, '--name-only', '--no-renames', 'HEAD', '--', ...cfg.paths.map((p) => `:(glob)${p}`)]);
  const re = new RegExp(cfg.subject ?? '');
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  return parseGitLog(out).commits.filter((c) => Date.parse(c.at) >= from && Date.parse(c.at) < to && re.test(c.subject)).length;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  if (!existsSync(`${REPO}/.git`) || (await runGit(REPO, ['rev-list', '--count', 'HEAD']).catch(() => '0')).trim() !== String(COMMITS)) {
    process.stderr.write(`generating ${COMMITS.toLocaleString('en-US')} commits in ${REPO} ...\n`);
    await generate();
    process.stderr.write(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const count = (await runGit(REPO, ['rev-list', '--count', 'HEAD'])).trim();
  const cfg = changeSourceConfigSchema.parse({
    type: 'git',
    name: 'apiserver prod releases',
    path: REPO,
    paths: ['apps/apiserver/releases/**'],
    subject: 'prod-main|prod-early',
    extract: [{ name: 'tag', pattern: '^\\s*tag:\\s*(\\S+)' }],
  }) as GitChangeSourceConfig;
  console.log(`Repository: ${REPO}, ${Number(count).toLocaleString('en-US')} commits from ${new Date(START).toISOString().slice(0, 10)} to ${new Date(END).toISOString().slice(0, 10)}; git ${(await runGit('.', ['--version'])).trim().replace('git version ', '')}.`);
  console.log('| Window (3 months) | Events | readGitSource (median) | Whole-history git log + filter (median) | Ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const window of [
    { label: 'latest: Dec 2025-Feb 2026', from: '2025-12-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' },
    { label: 'middle: Jan-Mar 2024', from: '2024-01-01T00:00:00.000Z', to: '2024-04-01T00:00:00.000Z' },
  ]) {
    const ours = await median(async () => (await readGitSource(cfg, window)).events.length);
    const naive = await median(() => wholeHistory(cfg, window));
    if (ours.count !== naive.count) throw new Error(`different results: ${ours.count} vs ${naive.count}`);
    const ratio = naive.ms / ours.ms;
    console.log(`| ${window.label} | ${ours.count} | ${ours.ms.toFixed(0)} ms | ${naive.ms.toFixed(0)} ms | ${ratio.toFixed(1)}x |`);
    if (ours.ms >= 1000) process.exitCode = 1;
  }
  console.log('Target: readGitSource under 1 s for a 3-month window (includes the image tag read from each release commit).');
}

await main();
