import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

// The demo's deployments (GitOps) repository: the history the investigation read from flux-deployments
// ("Deployment Timeline Analysis"): apiserver's three production releases around the gap, the production and staging
// enablement of the fix's feature flag, and unrelated commits (other apps, other stages) the demo config's filters
// must leave out. Commit times carry several UTC offsets, as real commits do. Rebuilt from scratch each time.

const run = promisify(execFile);

export const FLAG = 'COACHING_SERVICE_ENABLE_SYNC_HISTORIC_SCORECARD_WRITE';

export interface DemoCommit {
  /** ISO time with its offset: the author and committer date. */
  at: string;
  subject: string;
  files: Record<string, string>;
}

function helmRelease(app: string, stage: string, tag: string): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${app}
  namespace: ${stage}
spec:
  chart:
    spec:
      chart: ./charts/${app}
  values:
    image:
      repository: registry.example.com/${app}
      tag: ${tag}
`;
}

function flags(enabled: boolean): string {
  return `# Feature flags for apiserver (env vars)\nCOACHING_SERVICE_ENABLE_SCORE_CACHE: "true"\n${FLAG}: "${enabled}"\n`;
}

const REL = (app: string, stage: string): string => `apps/${app}/releases/${stage}/helmrelease.yaml`;
const FLAGS = (stage: string): string => `apps/apiserver/config/${stage}/feature-flags.yaml`;

/** The apiserver production releases the investigation lists, with their image tags. */
export const PROD_RELEASES = [
  { at: '2025-12-17T20:31:02Z', tag: 'main-20251217_201515z-49d58a85' },
  { at: '2026-01-08T10:52:40-05:00', tag: 'main-20260108_153010z-c86fe8e9' },
  { at: '2026-01-14T06:32:10+05:30', tag: 'main-20260114_003446z-5ab66507' },
] as const;

/** The production flag commit (2f406fb6fc7 in the investigation, PR #253866). */
export const PROD_FLAG_AT = '2026-01-29T15:38:38Z';
export const STAGING_FLAG_AT = '2026-01-18T13:27:00Z';

export const DEMO_COMMITS: DemoCommit[] = [
  {
    at: '2025-11-20T10:00:00Z',
    subject: 'Initial layout',
    files: {
      'README.md': '# flux-deployments (demo)\n',
      [REL('apiserver', 'us-east-1-prod')]: helmRelease('apiserver', 'us-east-1-prod', 'main-20251118_101010z-1a2b3c4d'),
      [REL('apiserver', 'us-west-2-staging')]: helmRelease('apiserver', 'us-west-2-staging', 'main-20251118_101010z-1a2b3c4d'),
      [REL('director', 'us-east-1-prod')]: helmRelease('director', 'us-east-1-prod', 'main-20251119_090000z-0f0e0d0c'),
      [FLAGS('us-east-1-prod')]: flags(false),
      [FLAGS('us-west-2-staging')]: flags(false),
    },
  },
  { at: '2025-12-16T09:12:00-08:00', subject: '[staging-main] apiserver: promote to us-west-2-staging', files: { [REL('apiserver', 'us-west-2-staging')]: helmRelease('apiserver', 'us-west-2-staging', 'main-20251216_165500z-77aa88bb') } },
  { at: PROD_RELEASES[0].at, subject: '[prod-main] apiserver: promote to us-east-1-prod', files: { [REL('apiserver', 'us-east-1-prod')]: helmRelease('apiserver', 'us-east-1-prod', PROD_RELEASES[0].tag) } },
  { at: '2025-12-22T11:00:00Z', subject: '[prod-main] director: promote to us-east-1-prod', files: { [REL('director', 'us-east-1-prod')]: helmRelease('director', 'us-east-1-prod', 'main-20251222_100000z-5e5e5e5e') } },
  { at: '2025-12-30T16:45:00+01:00', subject: 'docs: on-call rota for the holidays', files: { 'README.md': '# flux-deployments (demo)\n\nOn call over the holidays: see the wiki.\n' } },
  { at: '2026-01-07T18:00:00+05:30', subject: '[staging-main] apiserver: promote to us-west-2-staging', files: { [REL('apiserver', 'us-west-2-staging')]: helmRelease('apiserver', 'us-west-2-staging', 'main-20260107_101500z-c0ffee00') } },
  { at: PROD_RELEASES[1].at, subject: '[prod-main] apiserver: promote to us-east-1-prod', files: { [REL('apiserver', 'us-east-1-prod')]: helmRelease('apiserver', 'us-east-1-prod', PROD_RELEASES[1].tag) } },
  { at: '2026-01-08T16:10:00Z', subject: '[prod-main] director: promote to us-east-1-prod', files: { [REL('director', 'us-east-1-prod')]: helmRelease('director', 'us-east-1-prod', 'main-20260108_150000z-d1d1d1d1') } },
  { at: '2026-01-13T17:20:00-08:00', subject: '[staging-main] apiserver: promote to us-west-2-staging', files: { [REL('apiserver', 'us-west-2-staging')]: helmRelease('apiserver', 'us-west-2-staging', PROD_RELEASES[2].tag) } },
  { at: PROD_RELEASES[2].at, subject: '[prod-main] apiserver: promote to us-east-1-prod', files: { [REL('apiserver', 'us-east-1-prod')]: helmRelease('apiserver', 'us-east-1-prod', PROD_RELEASES[2].tag) } },
  { at: STAGING_FLAG_AT, subject: `apiserver: enable ${FLAG} in us-west-2-staging`, files: { [FLAGS('us-west-2-staging')]: flags(true) } },
  { at: '2026-01-20T09:00:00Z', subject: '[prod-main] director: promote to us-east-1-prod', files: { [REL('director', 'us-east-1-prod')]: helmRelease('director', 'us-east-1-prod', 'main-20260119_220000z-e2e2e2e2') } },
  { at: PROD_FLAG_AT, subject: `apiserver: enable ${FLAG} in us-east-1-prod (#253866)`, files: { [FLAGS('us-east-1-prod')]: flags(true) } },
  { at: '2026-02-02T12:00:00-05:00', subject: '[staging-main] apiserver: promote to us-west-2-staging', files: { [REL('apiserver', 'us-west-2-staging')]: helmRelease('apiserver', 'us-west-2-staging', 'main-20260202_160000z-abcdef01') } },
];

/** git with a fixed identity and no hooks, signing or user config: the same repository on every machine. */
export async function git(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('git', ['-c', 'user.name=Demo Deployer', '-c', 'user.email=deployer@example.com', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', ...env },
  });
  return stdout;
}

/** Writes the commits into a fresh repository at `dir` (anything there before is removed). */
export async function buildRepo(dir: string, commits: readonly DemoCommit[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q']);
  for (const c of commits) {
    for (const [path, text] of Object.entries(c.files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await git(dir, ['add', '--', ...Object.keys(c.files)]);
    await git(dir, ['commit', '-q', '-m', c.subject], { GIT_AUTHOR_DATE: c.at, GIT_COMMITTER_DATE: c.at });
  }
}

export async function buildDemoDeploymentsRepo(dir: string): Promise<void> {
  await buildRepo(dir, DEMO_COMMITS);
}
