import { describe, expect, it } from 'vitest';
import { ServerBudget } from '../../src/sources/server-budget.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ServerBudget', () => {
  it('grants up to size - reserved to scans, the reserve only to checks, checks first when both wait', async () => {
    const b = new ServerBudget('db:5432', 4, 1);
    await b.acquire('gap', 1000);
    await b.acquire('gap', 1000);
    await b.acquire('gap', 1000);
    let scan = false;
    const waitingScan = b.acquire('gap', 1000).then(() => (scan = true));
    await tick();
    expect(scan).toBe(false);
    await b.acquire('check', 1000); // the reserved permit
    expect(b.inUse).toBe(4);
    let check = false;
    const waitingCheck = b.acquire('check', 1000).then(() => (check = true));
    b.release();
    await tick();
    expect([check, scan]).toEqual([true, false]); // the check jumps the queue
    b.release();
    b.release();
    await Promise.all([waitingScan, waitingCheck]);
    expect(scan).toBe(true);
    expect(b.peak).toBe(4);
  });

  it('asks holders of parked connections to close one when someone waits', async () => {
    const b = new ServerBudget('db:5432', 2, 0);
    await b.acquire('gap', 1000);
    await b.acquire('gap', 1000);
    let parked = 1;
    b.register({
      evictOne: () => {
        if (parked === 0) return false;
        parked -= 1;
        setImmediate(() => b.release()); // the connection ends, then its permit returns
        return true;
      },
    });
    await b.acquire('gap', 1000);
    expect(parked).toBe(0);
    expect(b.inUse).toBe(2);
  });

  it('gives up after the deadline with pg-pool\'s wording, and the permit count is unchanged', async () => {
    const b = new ServerBudget('db:5432', 1, 0);
    await b.acquire('gap', 1000);
    await expect(b.acquire('gap', 30)).rejects.toThrow(/^timeout exceeded when trying to connect \(the budget of 1 connections to db:5432 is in use\)$/);
    expect(b.waiting).toBe(0);
    expect(b.inUse).toBe(1);
  });
});
