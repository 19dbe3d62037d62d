import { describe, expect, it } from 'vitest';
import { childEnv, expandArgs, splitCommand } from '../../src/sources/connection-url.js';

// The credential command is split into arguments once, then placeholders are substituted inside each argument:
// a value can never become two arguments, and no shell ever sees it.

const customer = { name: 'guitar-center', profile: 'us-east-1', cluster: 'us-east-1-prod' };

describe('splitCommand', () => {
  it('splits on whitespace and keeps quoted text together', () => {
    expect(splitCommand(`cresta-cli connstring -i --read-only {cluster} {cluster} {name}-{profile}`)).toEqual([
      'cresta-cli', 'connstring', '-i', '--read-only', '{cluster}', '{cluster}', '{name}-{profile}',
    ]);
    expect(splitCommand(`node "my script.js" 'a b' "say \\"hi\\"" c\\ d ''`)).toEqual(['node', 'my script.js', 'a b', 'say "hi"', 'c d', '']);
  });

  it('treats shell syntax as plain text', () => {
    expect(splitCommand('echo a;b | c $(d) `e` > f')).toEqual(['echo', 'a;b', '|', 'c', '$(d)', '`e`', '>', 'f']);
  });

  it('refuses an unterminated quote and an empty command', () => {
    expect(() => splitCommand(`node "oops`)).toThrow(/quote/);
    expect(() => splitCommand('   ')).toThrow(/empty/);
  });
});

describe('expandArgs', () => {
  it('substitutes per argument', () => {
    expect(expandArgs('cli {cluster} {name}-{profile} {customer}', customer)).toEqual(['cli', 'us-east-1-prod', 'guitar-center-us-east-1', 'guitar-center']);
  });

  it('refuses values that are not plain names (so a profile cannot smuggle in shell syntax or a second argument)', () => {
    expect(() => expandArgs('cli {profile}', { ...customer, profile: 'x; touch /tmp/pwned' })).toThrow(/profile/);
    expect(() => expandArgs('cli {cluster}', { ...customer, cluster: 'a b' })).toThrow(/cluster/);
  });
});

describe('childEnv', () => {
  const env = { PATH: '/usr/bin', HOME: '/home/bot', AWS_PROFILE: 'ro', AWS_REGION: 'us-east-1', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', OPS_DATABASE_URL: 'postgres://x:y@h/d' };

  it('passes PATH, HOME and the listed variables only, never Slack secrets', () => {
    expect(childEnv(env, ['AWS_PROFILE'])).toEqual({ PATH: '/usr/bin', HOME: '/home/bot', AWS_PROFILE: 'ro' });
    expect(childEnv(env, ['AWS_*', 'SLACK_*'])).toEqual({ PATH: '/usr/bin', HOME: '/home/bot', AWS_PROFILE: 'ro', AWS_REGION: 'us-east-1' });
    expect(childEnv(env, ['*'])).not.toHaveProperty('SLACK_BOT_TOKEN');
  });
});
