// Threat: a failing credential command logged its full command line and raw stderr ("Command failed: ...
// --api-token s3cr3tArg"). Its literal arguments may be secrets. Now the log gets the program's name, the exit
// code and the stderr masked, with any echo of an argument removed.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConnectionUrlResolver } from '../../src/sources/connection-url.js';
import { createLogger } from '../../src/shared/logger.js';

const SECRET_ARG = 's3cr3tArgValue';

describe('a credential command that fails', () => {
  it('logs the program, the exit code and the masked stderr, never an argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgb-credfail-'));
    const program = join(dir, 'connstring');
    // It echoes its arguments and a URL with a password to stderr, as real tools do, then exits 3.
    writeFileSync(
      program,
      `#!/bin/sh\necho "login failed for $* (tried postgres://svc:pa55w0rdZ@db.internal/x)" >&2\nexit 3\n`,
    );
    chmodSync(program, 0o755);
    const resolver = new ConnectionUrlResolver(undefined, Date.now, { PATH: process.env.PATH });
    const conn = { command: `${program} --api-token ${SECRET_ARG} {name}`, cacheSeconds: 60, env: [] };
    const err = await resolver.resolve(conn, { name: 'acme', profile: 'p', cluster: 'c' }, 'read').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CREDENTIAL_COMMAND_FAILED' });

    let log = '';
    const destination = new Writable({
      write(chunk, _e, cb) {
        log += String(chunk);
        cb();
      },
    });
    createLogger({ level: 'info', destination }).error({ err }, 'cannot resolve the connection of acme');
    expect(log).toContain('credential command connstring exited with code 3');
    expect(log).toContain('login failed for');
    expect(log).not.toContain(SECRET_ARG);
    expect(log).not.toContain('--api-token');
    expect(log).not.toContain('pa55w0rdZ');
    expect(log).not.toContain(dir); // the full path of the program is an argument of execFile's message, too
  });
});
