import { describe, expect, it } from 'vitest';
import { checkUsage } from '../../src/check/check-slack.js';
import { parseGapInput } from '../../src/gap/core/gap-input.js';
import type { BotError } from '../../src/shared/errors.js';

// The examples a person is shown name customers this bot has, not the ones of the incident.

const now = new Date('2026-02-10T12:00:00Z');
const known = ['acme', 'globex'];

function hintOf(text: string): string {
  try {
    parseGapInput(text, known, now);
  } catch (e) {
    return `${(e as BotError).userMessage} ${(e as BotError).hint}`;
  }
  throw new Error('expected a refusal');
}

describe('usage hints', () => {
  it('/scorecard-gap examples use configured customers', () => {
    for (const text of ['acme', 'acme jan-2026 extra', 'initech jan-2026']) {
      const hint = hintOf(text);
      expect(hint).toContain('acme jan-2026');
      expect(hint).not.toMatch(/rentokil|spirit|nclh|guitar-center/);
    }
  });

  it('/scorecard-check usage uses a configured customer', () => {
    expect(checkUsage(known)).toContain('019bcaf4-4b65-7838-b07d-20640fe7628e acme');
    expect(checkUsage(known)).not.toContain('rentokil');
  });
});
