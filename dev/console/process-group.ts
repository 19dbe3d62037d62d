import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

// Children of the console, each in its own process group (detached), so that stopping one stops everything it
// started in turn (tsx, a shell's children) and a Ctrl-C reaches them only through the console, in order.

export interface Started {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export function startGroup(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFile?: string; cwd?: string }): Started {
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : null;
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd ?? 'inherit', fd ?? 'inherit'],
  });
  if (fd !== null) closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once('error', () => resolve(127));
  });
  return { name, child, exited };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs` if it is still there. */
export async function stopGroup(s: Started, graceMs: number): Promise<void> {
  const pid = s.child.pid;
  if (pid === undefined || s.child.exitCode !== null || s.child.signalCode !== null) {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL'); // stray grandchildren of an exited leader
    return;
  }
  signalGroup(pid, 'SIGTERM');
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
  if ((await Promise.race([s.exited, timer])) === 'late') {
    signalGroup(pid, 'SIGKILL');
    await s.exited;
  }
  signalGroup(pid, 'SIGKILL');
}

/** Runs a command to completion in its own group; rejects with its log's name on a non-zero exit. */
export async function runGroup(running: Set<Started>, name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFile?: string }): Promise<void> {
  const s = startGroup(name, cmd, args, opts);
  running.add(s);
  const code = await s.exited;
  running.delete(s);
  if (code !== 0) throw new Error(`${name} failed (exit ${code})${opts.logFile ? `; see ${opts.logFile}` : ''}`);
}
