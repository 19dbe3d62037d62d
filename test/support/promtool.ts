import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Debian's promtool (package prometheus, 2.42 on bookworm): the real parser of Prometheus rule files and their unit
// tests. Missing: installed with apt-get when running as root (as CI does), otherwise the test stops with the command.

export const PROMTOOL = '/usr/bin/promtool';
const INSTALL = 'apt-get update && apt-get install -y --no-install-recommends prometheus';

export function ensurePromtool(): string {
  if (existsSync(PROMTOOL)) return PROMTOOL;
  if (process.getuid?.() !== 0) {
    throw new Error(`promtool is missing (${PROMTOOL}); the rules test needs Debian's prometheus package. Run: sudo sh -c '${INSTALL}'`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 240_000 });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { stdio: 'ignore', env, timeout: 240_000 });
  if (!existsSync(PROMTOOL)) throw new Error(`apt-get install prometheus did not provide ${PROMTOOL}; run: ${INSTALL}`);
  return PROMTOOL;
}

/** Runs promtool; resolves with its output, or throws with it (stdout and stderr) when it exits non-zero. */
export function promtool(args: string[], cwd: string): string {
  try {
    return execFileSync(ensurePromtool(), args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
  }
}
