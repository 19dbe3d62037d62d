import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { globToRegExp } from '../../src/shared/glob.js';
import { BotError } from '../../src/shared/errors.js';

// The `changes:` section: bad regexes and globs are listed with every other config problem, in one message.

const CUSTOMERS = `
customers:
  - name: rentokil
    profile: us-east-1
    postgres: { url: "postgres://ro@db/rentokil" }
`;

function problems(text: string): string {
  try {
    parseConfig(text, {}, 'bad.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(BotError);
    expect((e as BotError).code).toBe('BAD_CONFIG');
    return (e as BotError).userMessage;
  }
  throw new Error('expected the config to be refused');
}

describe('changes config', () => {
  it('accepts the three source types and fills the defaults', () => {
    const c = parseConfig(
      `${CUSTOMERS}
changes:
  - { type: git, name: releases, path: /srv/deployments, paths: ["apps/apiserver/releases/**"], subject: "prod-main|prod-early",
      extract: [{ name: tag, pattern: "^\\\\s*tag:\\\\s*(\\\\S+)" }], fetchEvery: 15m }
  - { type: file, name: incidents, path: config/incidents.yml }
  - { type: http, name: calendar, url: "https://changes.example.com/events", timeoutMs: 2000 }
`,
      {},
    );
    expect(c.changes).toEqual([
      expect.objectContaining({ type: 'git', ref: 'HEAD', kind: 'deploy', title: '{subject}', timeoutMs: 10_000, fetchEvery: '15m' }),
      expect.objectContaining({ type: 'file', timeoutMs: 10_000 }),
      expect.objectContaining({ type: 'http', headers: {}, timeoutMs: 2000 }),
    ]);
    expect(parseConfig(CUSTOMERS, {}).changes).toBeUndefined();
  });

  it('lists a bad regex, a bad glob, a missing capture group and a bad type together with the other problems', () => {
    const text = problems(`${CUSTOMERS}
gap: { concurrency: 0 }
changes:
  - type: git
    name: releases
    path: /srv/deployments
    paths: ["/apps/apiserver/**", "apps/{a,b}/**", "apps/[ab/x"]
    subject: "prod-(main"
    extract: [{ name: tag, pattern: "tag: \\\\S+" }]
    fetchEvery: often
  - { type: svn, name: other }
  - { type: http, name: releases, url: "not a url" }
`);
    expect(text).toMatch(/^bad.yml has \d+ problem/);
    expect(text).toContain('gap.concurrency');
    expect(text).toMatch(/changes\[0\]\.paths\[0\]: glob "\/apps\/apiserver\/\*\*" is relative to the repository root/);
    expect(text).toMatch(/changes\[0\]\.paths\[1\]: glob "apps\/\{a,b\}\/\*\*" braces are not supported/);
    expect(text).toMatch(/changes\[0\]\.paths\[2\]: glob "apps\/\[ab\/x" has a "\[" without its "\]"/);
    expect(text).toMatch(/changes\[0\]\.subject: is not a valid regular expression .*e\.g\. "prod-main\|prod-early"/);
    expect(text).toMatch(/changes\[0\]\.extract\[0\]\.pattern: needs a capture group/);
    expect(text).toMatch(/changes\[0\]\.fetchEvery: a duration/);
    expect(text).toMatch(/changes\[1\]\.type: type must be git, file or http/);
    expect(text).toMatch(/changes\[2\]\.url: e\.g\. https:/);
    expect(text).not.toContain('{ url: ... } or { command: ... }');
  });
});

describe('globs as git reads them', () => {
  it('* stays in a directory, ** spans directories', () => {
    const re = globToRegExp('apps/apiserver/releases/**');
    expect(re.test('apps/apiserver/releases/us-east-1-prod/helmrelease.yaml')).toBe(true);
    expect(re.test('apps/director/releases/us-east-1-prod/helmrelease.yaml')).toBe(false);
    const one = globToRegExp('apps/*/config/*.yaml');
    expect(one.test('apps/apiserver/config/flags.yaml')).toBe(true);
    expect(one.test('apps/apiserver/config/prod/flags.yaml')).toBe(false);
    expect(globToRegExp('**/helmrelease.yaml').test('helmrelease.yaml')).toBe(true);
    expect(globToRegExp('apps/**/helmrelease.yaml').test('apps/a/b/c/helmrelease.yaml')).toBe(true);
  });
});
