import { execFile, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';

// Git, run without a shell. Reads only: log, rev-parse, remote, cat-file; `fetch` when a source asks for it.
// GIT_CEILING_DIRECTORIES stops git from walking up into a parent repository when the path is not one itself;
// GIT_OPTIONAL_LOCKS=0 keeps even read commands from refreshing the index (a held index.lock does not matter).

export interface GitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Written to git's stdin (e.g. commit IDs for --stdin). */
  input?: string;
}

function gitEnv(repo: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return {
    ...env,
    GIT_CEILING_DIRECTORIES: dirname(resolve(repo)),
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

const CONFIG = ['-c', 'core.quotepath=off', '-c', 'log.showSignature=false', '-c', 'color.ui=false'];

export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export function runGit(repo: string, args: string[], opts: GitOptions = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(
      'git',
      [...CONFIG, ...args],
      { cwd: resolve(repo), env: gitEnv(repo), signal: opts.signal, timeout: opts.timeoutMs ?? 0, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) fail(new GitError(`git ${args[0]} failed: ${(stderr || err.message).trim().split('\n')[0]}`, stderr));
        else done(stdout);
      },
    );
    child.stdin?.on('error', () => undefined); // git may exit before reading it all; the exit code tells
    child.stdin?.end(opts.input ?? '');
  });
}

/** Many `<rev>:<path>` blobs through one `git cat-file --batch`; a missing one (deleted file) maps to null. */
export function catFiles(repo: string, specs: string[], opts: GitOptions = {}): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (specs.length === 0) return Promise.resolve(out);
  return new Promise((done, fail) => {
    const child = spawn('git', [...CONFIG, 'cat-file', '--batch'], { cwd: resolve(repo), env: gitEnv(repo), signal: opts.signal, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => fail(err));
    child.on('close', (code) => {
      if (code !== 0) return fail(new GitError(`git cat-file failed: ${stderr.trim().split('\n')[0] ?? ''}`, stderr));
      const buf = Buffer.concat(chunks);
      let pos = 0;
      for (const spec of specs) {
        const nl = buf.indexOf(10, pos);
        if (nl < 0) break;
        const header = buf.toString('utf8', pos, nl);
        pos = nl + 1;
        const m = /^\S+ (\S+) (\d+)$/.exec(header);
        if (!m) {
          out.set(spec, null);
          continue;
        }
        const size = Number(m[2]);
        out.set(spec, m[1] === 'blob' ? buf.toString('utf8', pos, pos + size) : null);
        pos += size + 1;
      }
      done(out);
    });
    // Paths with a newline cannot be asked for in batch mode; they are skipped (answered as missing below).
    child.stdin.end(specs.map((s) => (s.includes('\n') ? 'invalid-spec' : s)).join('\n') + '\n');
  });
}
