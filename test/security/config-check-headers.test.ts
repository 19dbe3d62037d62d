// Threat: `config:check` printed secret request headers (X-Api-Key, Cookie, Authorization: token ghp_...) in clear.
// Every header value is masked except Accept, Content-Type and User-Agent.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/config-cli.js';

const SECRETS = {
  apiKey: 'k3y-9f8e7d6c5b4a',
  cookie: 'session=ck-0123456789abcdef',
  github: 'ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  gitlab: 'glpat-xyzzy-plugh-12345',
};

async function configCheck(yaml: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sgb-cfg-'));
  const file = join(dir, 'config.yml');
  writeFileSync(file, yaml);
  let out = '';
  const stdout = new Writable({
    write(chunk, _e, cb) {
      out += String(chunk);
      cb();
    },
  });
  const code = await configCommand('check', ['--config', file], { stdout, env: {} });
  expect(code).toBe(0);
  return out;
}

describe('config:check and request headers', () => {
  it('prints no secret header value, whatever the header is called', async () => {
    const out = await configCheck(`
customers:
  - { name: acme, profile: p, postgres: { url: "postgres://ro@db/acme" } }
redis: { url: "redis://127.0.0.1:6379" }
changes:
  - type: http
    name: releases
    url: https://changes.example.com/api/events
    headers:
      X-Api-Key: "${SECRETS.apiKey}"
      Cookie: "${SECRETS.cookie}"
      Authorization: "token ${SECRETS.github}"
      PRIVATE-TOKEN: "${SECRETS.gitlab}"
      Accept: application/json
      User-Agent: scorecard-bot
`);
    for (const secret of Object.values(SECRETS)) expect(out).not.toContain(secret);
    const headers = JSON.parse(out).changes[0].headers;
    expect(headers).toEqual({
      'X-Api-Key': '***',
      Cookie: '***',
      Authorization: '***',
      'PRIVATE-TOKEN': '***',
      Accept: 'application/json',
      'User-Agent': 'scorecard-bot',
    });
  });
});
