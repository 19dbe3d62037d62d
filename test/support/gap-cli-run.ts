import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { reportCliError } from '../../src/cli/cli-errors.js';
import { gapCommand } from '../../src/cli/gap-cli.js';

export interface GapCliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Writes a config object as a JSON file in a fresh temporary directory; the CLI reads it with --config. */
export function writeConfigFile(config: unknown, prefix = 'sgb-cli-'): string {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/**
 * Runs `scorecard-bot gap ...` in-process as src/cli.ts does: the command with captured stdout and stderr, and its
 * errors through the CLI's one reporter (so the exit code and message are the ones a person gets).
 */
export async function runGapCli(args: string[], opts: { now?: () => Date } = {}): Promise<GapCliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const started = Date.now();
  const code = await gapCommand(args, { stdout: out, stderr: err, env: {}, ...(opts.now ? { now: opts.now } : {}) }).catch((e: unknown) => reportCliError(e, err));
  return { code, stdout, stderr, ms: Date.now() - started };
}
