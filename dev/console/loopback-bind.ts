import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

// The shim that keeps local-slack on loopback (scripts/console/loopback-bind.c), compiled once per source change
// into the console's folder. Without a C compiler the console refuses to start rather than listen on every
// interface.

const run = promisify(execFile);

export async function loopbackBindShim(root: string, dir: string): Promise<string> {
  const source = path.join(root, 'scripts', 'console', 'loopback-bind.c');
  const out = path.join(dir, 'loopback-bind.so');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  const cc = process.env.CC ?? 'cc';
  try {
    await run(cc, ['-shared', '-fPIC', '-O2', '-o', out, source, '-ldl']);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`could not build ${path.relative(root, source)} with ${cc} (${why}); install a C compiler (apt-get install gcc) so local Slack listens on 127.0.0.1 only`);
  }
  return out;
}
