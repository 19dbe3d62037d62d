import { describe, expect, it } from 'vitest';
import { describeVerdict, finishChain, startChain, verdictAsData, walkChain, type AuditChainRow, type ChainState, type ChainVerdict } from '../../src/backfill/audit-chain.js';
import { plainMentions } from '../../src/backfill/render-request.js';

// The pure walk over the audit chain: rows in id order with their stored and recomputed hashes (here made-up
// strings: the database computes the real ones), the first break out, and the sentence an operator reads.

const GENESIS = '0'.repeat(64);
const h = (n: number): string => String(n).padStart(64, 'a');

/** An intact chain of ids 1..count: row k has hash h(k) and links to h(k-1) (row 1 to the genesis). */
function chain(count: number): AuditChainRow[] {
  return Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    return {
      id: String(id),
      requestId: `bf-${id}`,
      action: 'approved',
      actor: `U${id}`,
      at: new Date(Date.UTC(2026, 0, 31, 14, id)),
      prevHash: id === 1 ? GENESIS : h(id - 1),
      hash: h(id),
      recomputed: h(id),
    };
  });
}

/** Walks the rows in pages of `size`, as the CLI does against the database. */
function verify(rows: AuditChainRow[], size: number): ChainVerdict {
  let state: ChainState = startChain();
  for (let i = 0; i < rows.length || i === 0; i += size) {
    const step = walkChain(state, rows.slice(i, i + size), GENESIS);
    if ('break' in step) return { intact: false, break: step.break };
    state = step.state;
  }
  return finishChain(state);
}

describe('audit chain walk', () => {
  it('an intact chain: its length and last hash, the same in one page or many', () => {
    const rows = chain(7);
    for (const size of [1, 3, 7, 100]) expect(verify(rows, size)).toEqual({ intact: true, rows: 7, lastId: '7', lastHash: h(7) });
    expect(describeVerdict(verify(rows, 3))).toBe(`audit trail intact: 7 rows, last hash ${h(7).slice(0, 12)}… (row 7; full hash ${h(7)})`);
    expect(verify([], 10)).toEqual({ intact: true, rows: 0, lastId: null, lastHash: null });
    expect(describeVerdict(verify([], 10))).toBe('audit trail intact: 0 rows (nothing written yet)');
  });

  it('an edited row: named by its own id, even when the page boundary falls right before it', () => {
    const rows = chain(6);
    rows[3] = { ...rows[3]!, recomputed: 'f'.repeat(64) }; // id 4: its content no longer gives its hash
    for (const size of [1, 2, 3, 4, 100]) {
      const v = verify(rows, size);
      expect(v).toMatchObject({ intact: false, break: { kind: 'edited', row: { id: '4' }, intactBefore: 3 } });
    }
    const text = describeVerdict(verify(rows, 2));
    expect(text).toContain('row 4 (bf-4, approved by U4 at 2026-01-31T14:04:00.000Z) was edited');
    expect(text).toContain('the 3 rows before it chain correctly');
    expect(verdictAsData(verify(rows, 2))).toMatchObject({ intact: false, kind: 'edited', rowsIntact: 3, row: { id: '4', actor: 'U4' } });
  });

  it('a removed row: the break is named after the row before the gap', () => {
    const rows = chain(6).filter((r) => r.id !== '3'); // row 4 still links to row 3's hash
    for (const size of [1, 2, 3, 100]) {
      expect(verify(rows, size)).toMatchObject({ intact: false, break: { kind: 'removed', row: { id: '4' }, after: { id: '2' }, intactBefore: 2 } });
    }
    const text = describeVerdict(verify(rows, 2));
    expect(text).toMatch(/^audit trail broken before row 4 \(bf-4, .*\): its prev_hash is not the hash of row 2, the row before it, so one or more rows after row 2 were removed/);
    expect(verdictAsData(verify(rows, 2))).toMatchObject({ kind: 'removed', afterId: '2' });
  });

  it('the first rows removed: the new first row does not start from the genesis value', () => {
    const rows = chain(4).slice(2);
    expect(verify(rows, 10)).toMatchObject({ intact: false, break: { kind: 'removed', row: { id: '3' }, after: null, intactBefore: 0 } });
    expect(describeVerdict(verify(rows, 10))).toContain('its prev_hash is not the genesis value, so one or more rows before it were removed');
  });

  it('a row whose stored hash is gone counts as edited, never as intact', () => {
    const rows = chain(3);
    rows[1] = { ...rows[1]!, hash: null, recomputed: null };
    expect(verify(rows, 10)).toMatchObject({ intact: false, break: { kind: 'edited', row: { id: '2' } } });
  });

  it('Slack mentions in the service messages read as plain names in a terminal', () => {
    expect(plainMentions('This backfill is already denied (by <@U_A>); nothing to cancel.')).toBe('This backfill is already denied (by @U_A); nothing to cancel.');
    expect(plainMentions('by <@cli:alice>')).toBe('by @cli:alice');
  });
});
