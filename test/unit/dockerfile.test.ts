import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serveCommand } from '../../src/cli/serve.js';

// The image carries code, never settings: config/demo.yml's writer is the local superuser. An operator mounts a
// config; without one, serve says how to give it.

describe('Dockerfile', () => {
  const instructions = readFileSync('Dockerfile', 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('copies no config into the image', () => {
    const copies = instructions.filter((l) => /^(COPY|ADD)\s/i.test(l));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      expect(c).not.toMatch(/(^|[\s/.])config(\/|\s|$)/);
      expect(c).not.toMatch(/demo\.ya?ml|\.env\b/);
      // "COPY . ." would bring config/ along.
      expect(c).not.toMatch(/^(COPY|ADD)\s+(--\S+\s+)*\.\s/i);
    }
  });
});

describe('serve without a config', () => {
  it('names --config and SCORECARD_BOT_CONFIG', async () => {
    const io = { stderr: process.stderr, env: {} };
    const none = await serveCommand('serve', [], io).catch((e: unknown) => e as { userMessage: string; hint?: string });
    expect(`${(none as { userMessage: string }).userMessage} ${(none as { hint?: string }).hint}`).toMatch(/--config.*SCORECARD_BOT_CONFIG/);
    const missing = await serveCommand('serve', [], { ...io, env: { SCORECARD_BOT_CONFIG: '/etc/scorecard-bot/config.yml' } }).catch((e: unknown) => e as { userMessage: string });
    expect((missing as { userMessage: string }).userMessage).toMatch(/\/etc\/scorecard-bot\/config\.yml.*--config.*SCORECARD_BOT_CONFIG/);
  });
});
