// Threat: a commit subject holding the old field separators (\x1e, \x1f) yielded an event with any time and title
// the author chose, and the real commit disappeared; one commit with an unreadable date made the whole source
// unavailable. Now `git log -z` is parsed by position: a subject can hold anything and stays one subject.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGitLog, readGitSource } from '../../src/changes/git-source.js';
import { changeSourceConfigSchema, type GitChangeSourceConfig } from '../../src/config/changes-schema.js';

const git = (cwd: string, args: string[], env: Record<string, string> = {}): string =>
  execFileSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', ...env } }).toString();

function repoWithForgedSubject(): { path: string; realSha: string } {
  const path = mkdtempSync(join(tmpdir(), 'sgb-forge-'));
  git(path, ['init', '-q', '-b', 'main']);
  mkdirSync(join(path, 'apps'));
  writeFileSync(join(path, 'apps', 'a.yaml'), 'tag: 1\n');
  git(path, ['add', '.']);
  git(path, ['commit', '-qm', 'release 1'], { GIT_COMMITTER_DATE: '2026-01-10T10:00:00Z', GIT_AUTHOR_DATE: '2026-01-10T10:00:00Z' });
  writeFileSync(join(path, 'apps', 'a.yaml'), 'tag: 2\n');
  git(path, ['add', '.']);
  // The subject smuggles a second record: a fake sha, a time in the window and a title.
  const forged = `release 2\x1e${'f'.repeat(40)}\x1f2026-01-12T09:00:00Z\x1fFlag: disable writes (FAKE)`;
  git(path, ['commit', '-qm', forged], { GIT_COMMITTER_DATE: '2026-01-11T15:30:00Z', GIT_AUTHOR_DATE: '2026-01-11T15:30:00Z' });
  return { path, realSha: git(path, ['rev-parse', 'HEAD']).trim() };
}

describe('git change source and hostile commit subjects', () => {
  it('reads the forged commit as itself, at its real time, and invents nothing', async () => {
    const { path, realSha } = repoWithForgedSubject();
    const cfg = changeSourceConfigSchema.parse({ type: 'git', name: 'deploys', path, kind: 'deploy', paths: ['apps/**'], link: 'https://git.example/{sha}' }) as GitChangeSourceConfig;
    const read = await readGitSource(cfg, { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    const events = [...read.events].sort((a, b) => a.at.localeCompare(b.at));
    expect(read.warning).toBeUndefined();
    expect(events.map((e) => e.at)).toEqual(['2026-01-10T10:00:00.000Z', '2026-01-11T15:30:00.000Z']);
    expect(events.some((e) => e.at === '2026-01-12T09:00:00.000Z')).toBe(false);
    const real = events[1]!;
    expect(real.link).toBe(`https://git.example/${realSha}`);
    expect(real.title.startsWith('release 2')).toBe(true);
    expect(real.title).not.toMatch(/[\x00-\x1f]/);
  });

  it('skips and names a commit whose date cannot be read, and keeps the others', () => {
    const good = `\0${'a'.repeat(40)}\x002026-01-10T10:00:00+00:00\0ok\0\napps/a.yaml\0`;
    const bad = `\0${'b'.repeat(40)}\0not-a-date\0broken\0\napps/b.yaml\0`;
    const parsed = parseGitLog(good + bad);
    expect(parsed.commits.map((c) => c.sha)).toEqual(['a'.repeat(40)]);
    expect(parsed.commits[0]).toMatchObject({ at: '2026-01-10T10:00:00.000Z', subject: 'ok', files: ['apps/a.yaml'] });
    expect(parsed.skipped).toEqual([`commit ${'b'.repeat(10)}: its date "not-a-date" could not be read`]);
  });

  it('keeps an empty subject and odd paths in their places', () => {
    const text = `\0${'c'.repeat(40)}\x002026-01-10T10:00:00Z\0\0\nfirst\0we\nird\0\0${'d'.repeat(40)}\x002026-01-11T10:00:00Z\0s\0`;
    const parsed = parseGitLog(text);
    expect(parsed.skipped).toEqual([]);
    expect(parsed.commits).toMatchObject([
      { sha: 'c'.repeat(40), subject: '', files: ['first', 'we\nird'] },
      { sha: 'd'.repeat(40), subject: 's', files: [] },
    ]);
  });
});
