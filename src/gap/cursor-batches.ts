import type { ReadOnlyDb } from '../sources/read-only-db.js';

// Rows of a query in batches through a server-side cursor (DECLARE … CURSOR / FETCH n), inside the ReadOnlyDb's
// own transaction: BEGIN READ ONLY and the statement_timeout (which bounds each FETCH) hold as for any query, and
// no second way into the database is needed (no pg client leaves read-only-db.ts, no streaming dependency).
//
// The transaction is callback-shaped and a generator yields outside it, so a one-slot handoff joins them: the
// callback FETCHes a batch, hands it over, and waits until the consumer asks for the next one. Memory holds one
// batch, and a slow consumer (a file being written) slows the FETCHes down instead of queueing rows.

class CursorAbandoned extends Error {
  constructor() {
    super('the consumer stopped reading the cursor');
  }
}

type Slot<R> = { rows: R[] } | { done: true } | { error: unknown };

/**
 * Batches of at most `batchSize` rows. Stopping early (break, return) rolls the transaction back and ends it.
 * The SQL must have a total ORDER BY: when the connection drops, ReadOnlyDb runs the transaction once more, and
 * the new cursor skips (MOVE) the rows already handed over, which is exact only if the order is the same.
 */
export async function* cursorBatches<R>(db: ReadOnlyDb, sql: string, params: unknown[], batchSize: number): AsyncGenerator<R[]> {
  const size = Math.max(1, Math.floor(batchSize));
  let deliver!: (slot: Slot<R>) => void;
  let next = new Promise<Slot<R>>((resolve) => (deliver = resolve));
  // A holder, not a bare variable: TypeScript cannot see the callback assign it and would narrow it to null.
  const resume: { fn: () => void } = { fn: () => undefined };
  let abandoned = false;
  let handedOver = 0;
  let finished = false;

  const tx = db.transaction(async (q) => {
    // The cursor's name is ours, the query text is the caller's constant SQL; values travel as bind parameters.
    await q(`DECLARE gap_rows NO SCROLL CURSOR FOR ${sql}`, params);
    if (handedOver > 0) await q(`MOVE FORWARD ${handedOver} IN gap_rows`);
    for (;;) {
      const rows = await q<R>(`FETCH ${size} FROM gap_rows`);
      if (rows.length === 0) break;
      const asked = new Promise<void>((resolve) => (resume.fn = resolve));
      handedOver += rows.length;
      deliver({ rows });
      await asked;
      if (abandoned) throw new CursorAbandoned();
    }
    await q('CLOSE gap_rows');
  });
  tx.then(
    () => deliver({ done: true }),
    (error: unknown) => deliver({ error }),
  );

  try {
    for (;;) {
      const slot = await next;
      if ('error' in slot) throw slot.error;
      if ('done' in slot) break;
      next = new Promise<Slot<R>>((resolve) => (deliver = resolve));
      yield slot.rows;
      resume.fn();
    }
    finished = true;
  } finally {
    if (!finished) {
      abandoned = true;
      resume.fn();
      await tx.catch(() => undefined);
    }
  }
}
