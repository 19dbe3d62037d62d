import { describe, expect, it } from 'vitest';
import { parseCheckCommandText, parseScorecardId, uuidV7Time } from '../../src/check/scorecard-id.js';
import { BotError } from '../../src/shared/errors.js';

const EXAMPLE = '019bcaf4-4b65-7838-b07d-20640fe7628e';

function badInput(fn: () => unknown): BotError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BotError);
    expect((err as BotError).code).toBe('BAD_INPUT');
    return err as BotError;
  }
  throw new Error('expected a BAD_INPUT BotError');
}

describe('parseScorecardId', () => {
  it('accepts the incident example and reads its UUIDv7 time', () => {
    const p = parseScorecardId(EXAMPLE);
    expect(p.id).toBe(EXAMPLE);
    expect(p.version).toBe(7);
    expect(p.createdAt?.toISOString()).toBe('2026-01-17T07:56:06.373Z');
  });

  it('accepts any case and surrounding whitespace, and returns the stored (lowercase) form', () => {
    const p = parseScorecardId(`  ${EXAMPLE.toUpperCase()}\n`);
    expect(p.id).toBe(EXAMPLE);
    expect(p.createdAt?.toISOString()).toMatch(/^2026-01-17T/);
  });

  it('accepts an ID pasted as Slack inline code', () => {
    expect(parseScorecardId(`\`${EXAMPLE}\``).id).toBe(EXAMPLE);
  });

  it('gives createdAtFromId null for UUIDs that are not v7', () => {
    expect(parseScorecardId('3f2504e0-4f89-41d3-9a0c-0305e82c3301').createdAt).toBeNull(); // v4
    expect(parseScorecardId('c232ab00-9414-11ec-b3c8-9e6bdeced846').createdAt).toBeNull(); // v1
    expect(parseScorecardId('00000000-0000-0000-0000-000000000000').createdAt).toBeNull(); // nil
    expect(uuidV7Time('019bcaf4-4b65-7838-307d-20640fe7628e')).toBeNull(); // v7 nibble, wrong variant
  });

  it.each([
    ['braces', `{${EXAMPLE}}`],
    ['urn', `urn:uuid:${EXAMPLE}`],
    ['no dashes', EXAMPLE.replaceAll('-', '')],
    ['too short', EXAMPLE.slice(0, 35)],
    ['non-hex', EXAMPLE.replace('b', 'g')],
    ['sql', "' OR 1=1 --"],
    ['empty', '   '],
  ])('refuses %s with an example of a valid ID', (_label, input) => {
    const err = badInput(() => parseScorecardId(input));
    expect(`${err.userMessage} ${err.hint}`).toContain(EXAMPLE);
  });

  it('keeps a huge input out of the message', () => {
    const err = badInput(() => parseScorecardId('x'.repeat(5000)));
    expect(err.userMessage.length).toBeLessThan(100);
  });
});

describe('parseCheckCommandText', () => {
  it('reads <id> [customer], in either order', () => {
    expect(parseCheckCommandText(EXAMPLE)).toEqual({ id: EXAMPLE });
    expect(parseCheckCommandText(` ${EXAMPLE}   rentokil `)).toEqual({ id: EXAMPLE, customer: 'rentokil' });
    expect(parseCheckCommandText(`rentokil ${EXAMPLE}`)).toEqual({ id: EXAMPLE, customer: 'rentokil' });
  });

  it('refuses nothing and too much with the usage', () => {
    expect(badInput(() => parseCheckCommandText('  ')).hint).toContain('/scorecard-check');
    expect(badInput(() => parseCheckCommandText(`${EXAMPLE} a b`)).hint).toContain(EXAMPLE);
  });
});
