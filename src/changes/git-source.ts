import { stat } from 'node:fs/promises';
import type { GitChangeSourceConfig } from '../config/changes-schema.js';
import { durationMs } from '../config/changes-schema.js';
import type { ChangeEvent } from './event.js';
import { catFiles, GitError, runGit } from './git-exec.js';
import { globPathspec, globToRegExp } from '../shared/glob.js';
import type { ChangeWindow, SourceResult } from './source.js';

// A deployments (GitOps) repository as a change source: one `git log` over the window, limited by path globs
// (pathspecs, so git does the filtering), then the subject regex, then `extract` rules read from the changed files
// as of each commit with one `git cat-file --batch`. The commit time is the committer date, in UTC.

interface Commit {
  sha: string;
  at: string;
  subject: string;
  files: string[];
}

/** What `git log -z` printed: the commits it could read, and the ones it skipped (named, with why). */
export interface ParsedLog {
  commits: Commit[];
  skipped: string[];
}

// `git log -z` with a format that opens each commit with an empty field (%x00 first): no path and no sha is
// empty, so an empty token can only start a commit, and a subject (which git never lets hold a NUL) cannot forge
// fields whatever separators it contains. After the three fields come the changed paths, NUL-terminated, the first
// one after git's "\n".
export const GIT_LOG_FORMAT = '--format=%x00%H%x00%cI%x00%s';
// Control characters (a subject's \x1e, \x1f, escapes) never reach a title a person reads.
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function parseGitLog(text: string): ParsedLog {
  const tokens = text.split('\0');
  const commits: Commit[] = [];
  const skipped: string[] = [];
  let i = tokens.indexOf('');
  while (i >= 0 && i + 3 < tokens.length) {
    const sha = tokens[i + 1] ?? '';
    const date = tokens[i + 2] ?? '';
    const subject = (tokens[i + 3] ?? '').replace(CONTROL, ' ').trim();
    const files: string[] = [];
    let j = i + 4;
    for (; j < tokens.length && tokens[j] !== ''; j++) {
      const path = (tokens[j] ?? '').replace(/^\n/, '');
      if (path !== '') files.push(path);
    }
    const t = Date.parse(date);
    if (!/^[0-9a-f]{40,64}$/.test(sha)) skipped.push(`an entry git printed without a commit id`);
    else if (Number.isNaN(t)) skipped.push(`commit ${sha.slice(0, 10)}: its date "${date.replace(CONTROL, ' ').slice(0, 40)}" could not be read`);
    else commits.push({ sha, at: new Date(t).toISOString(), subject, files });
    i = j < tokens.length ? j : -1;
  }
  return { commits, skipped };
}

/** `git fetch` at most every `fetchEvery`, remembered per clone for the life of the process. */
export class FetchClock {
  private readonly last = new Map<string, number>();
  due(key: string, everyMs: number, now: number): boolean {
    const t = this.last.get(key);
    return t === undefined || now - t >= everyMs;
  }
  mark(key: string, now: number): void {
    this.last.set(key, now);
  }
}

export interface GitSourceContext {
  signal?: AbortSignal;
  fetchClock?: FetchClock;
  now?: () => number;
}

async function assertRepository(path: string, signal?: AbortSignal): Promise<void> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new Error(`the repository path ${path} does not exist`);
  if (!st.isDirectory()) throw new Error(`${path} is not a directory`);
  try {
    await runGit(path, ['rev-parse', '--git-dir'], { signal });
  } catch (err) {
    if (err instanceof GitError) throw new Error(`${path} is not a git repository`);
    throw err;
  }
}

async function maybeFetch(cfg: GitChangeSourceConfig, ctx: GitSourceContext): Promise<string | undefined> {
  if (!cfg.fetchEvery || !ctx.fetchClock) return undefined;
  const now = (ctx.now ?? Date.now)();
  if (!ctx.fetchClock.due(cfg.path, durationMs(cfg.fetchEvery), now)) return undefined;
  const remotes = (await runGit(cfg.path, ['remote'], { signal: ctx.signal })).trim();
  if (remotes === '') return undefined;
  ctx.fetchClock.mark(cfg.path, now);
  try {
    await runGit(cfg.path, ['fetch', '--quiet', '--no-write-fetch-head', '--prune'], { signal: ctx.signal });
    return undefined;
  } catch {
    return 'git fetch failed; read the clone as of its last fetch';
  }
}

function substitute(template: string, values: Record<string, string>): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9_-]*)\}/g, (whole, key: string) => values[key] ?? whole);
}

function extractValues(cfg: GitChangeSourceConfig, commit: Commit, blobs: Map<string, string | null>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rule of cfg.extract) {
    const re = new RegExp(rule.pattern);
    const fileRe = rule.file ? globToRegExp(rule.file) : null;
    for (const file of commit.files) {
      if (fileRe && !fileRe.test(file)) continue;
      const text = blobs.get(`${commit.sha}:${file}`);
      if (!text) continue;
      const line = text.split('\n').map((l) => re.exec(l)).find((m) => m && m[1] !== undefined);
      if (line?.[1] !== undefined) {
        values[rule.name] = line[1];
        break;
      }
    }
  }
  return values;
}

function titleOf(cfg: GitChangeSourceConfig, commit: Commit, extracted: Record<string, string>): string {
  const values = { subject: commit.subject, sha: commit.sha, short: commit.sha.slice(0, 10), ...extracted };
  const title = substitute(cfg.title, values);
  // The default title is the subject: name the extracted values after it unless the subject already says them.
  const names = Object.keys(extracted);
  if (names.some((n) => cfg.title.includes(`{${n}}`))) return title;
  const extra = names.filter((n) => !title.includes(extracted[n] ?? '')).map((n) => `${n} ${extracted[n]}`);
  return extra.length ? `${title} (${extra.join(', ')})` : title;
}

/**
 * Two steps, so only the window's commits are ever diffed: `rev-list --since --until` lists them (a walk over
 * commit headers, no diffs), then one `log --no-walk --stdin` over just those applies the pathspecs and lists the
 * changed files. A plain `log --since --until -- <pathspec>` diffs every newer commit too, which made a window a
 * year back as slow as reading the whole history (bench/changes-bench.ts).
 */
async function logWindow(cfg: GitChangeSourceConfig, window: ChangeWindow, signal?: AbortSignal): Promise<ParsedLog> {
  const shas = await runGit(cfg.path, ['rev-list', `--since=${window.from}`, `--until=${window.to}`, '--end-of-options', cfg.ref, '--'], { signal });
  if (shas.trim() === '') return { commits: [], skipped: [] };
  const args = ['log', '--no-walk', '--stdin', '-z', GIT_LOG_FORMAT, '--name-only', '--no-renames', '--', ...cfg.paths.map(globPathspec)];
  const log = parseGitLog(await runGit(cfg.path, args, { signal, input: shas }));
  // Without pathspecs git lists every commit; with them, a commit outside them has no files and is dropped.
  return cfg.paths.length === 0 ? log : { ...log, commits: log.commits.filter((c) => c.files.length > 0) };
}

export async function readGitSource(cfg: GitChangeSourceConfig, window: ChangeWindow, ctx: GitSourceContext = {}): Promise<SourceResult> {
  await assertRepository(cfg.path, ctx.signal);
  const warning = await maybeFetch(cfg, ctx);
  let log: ParsedLog;
  try {
    log = await logWindow(cfg, window, ctx.signal);
  } catch (err) {
    if (err instanceof GitError && /unknown revision|bad revision|ambiguous argument/.test(err.stderr)) {
      throw new Error(`${cfg.path} has no ${cfg.ref} (an empty repository, or set "ref")`);
    }
    throw err;
  }
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const subject = cfg.subject ? new RegExp(cfg.subject) : null;
  const kept = log.commits.filter((c) => {
    const t = Date.parse(c.at);
    return t >= from && t < to && (!subject || subject.test(c.subject));
  });
  const specs = cfg.extract.length === 0 ? [] : kept.flatMap((c) => c.files.map((f) => `${c.sha}:${f}`));
  const blobs = await catFiles(cfg.path, specs, { signal: ctx.signal });
  const events: ChangeEvent[] = kept.map((c) => ({
    at: c.at,
    title: titleOf(cfg, c, extractValues(cfg, c, blobs)),
    kind: cfg.kind,
    link: cfg.link ? substitute(cfg.link, { sha: c.sha, short: c.sha.slice(0, 10) }) : null,
    source: cfg.name,
  }));
  // A commit that cannot be read is named and skipped; the source stays available with the rest.
  const skippedNote = log.skipped.length > 0 ? `skipped ${log.skipped.length === 1 ? 'one entry' : `${log.skipped.length} entries`}: ${log.skipped.slice(0, 3).join('; ')}` : undefined;
  return { events, warning: [warning, skippedNote].filter(Boolean).join('; ') || undefined };
}
