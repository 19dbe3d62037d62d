import type { Logger } from '../../shared/logger.js';

// Progress edits of the root message are fire-and-forget: a window job never waits for Slack. Requests for the
// same run coalesce: at most one edit in flight per run, at most one per `minIntervalMs`, and the last request
// always wins (trailing edit), so a slow or unreachable Slack costs a scan nothing.

export interface ProgressTarget {
  /** Builds the edit when it is sent (reads the latest counts), or null when nothing should be sent any more. */
  render(): Promise<{ send: () => Promise<void> } | null>;
}

interface RunSlot {
  pending: ProgressTarget | null;
  inFlight: Promise<void> | null;
  lastSentAt: number;
  timer: NodeJS.Timeout | null;
}

export class ProgressReporter {
  private readonly runs = new Map<string, RunSlot>();
  private closed = false;

  constructor(
    private readonly logger: Logger,
    private readonly minIntervalMs = 1000,
  ) {}

  /** Asks for an edit of this run's root message; returns at once. */
  request(runId: string, target: ProgressTarget): void {
    if (this.closed) return;
    const slot = this.runs.get(runId) ?? { pending: null, inFlight: null, lastSentAt: 0, timer: null };
    this.runs.set(runId, slot);
    slot.pending = target;
    this.schedule(runId, slot);
  }

  private schedule(runId: string, slot: RunSlot): void {
    if (slot.inFlight || slot.timer || !slot.pending || this.closed) return;
    const wait = Math.max(0, slot.lastSentAt + this.minIntervalMs - Date.now());
    slot.timer = setTimeout(() => {
      slot.timer = null;
      const target = slot.pending;
      slot.pending = null;
      if (!target || this.closed) return;
      slot.lastSentAt = Date.now();
      slot.inFlight = this.send(runId, target).finally(() => {
        slot.inFlight = null;
        if (slot.pending) this.schedule(runId, slot);
        else if (!slot.timer) this.runs.delete(runId);
      });
    }, wait);
    slot.timer.unref();
  }

  private async send(runId: string, target: ProgressTarget): Promise<void> {
    try {
      const edit = await target.render();
      await edit?.send();
    } catch (err) {
      this.logger.debug({ runId, err: err instanceof Error ? err.message : String(err) }, 'progress update failed');
    }
  }

  /**
   * Sends a pending edit of a run now, whatever the interval, and waits for it at most waitMs: the last progress
   * a person sees before the final message shows every window in.
   */
  async flush(runId: string, waitMs = 2000): Promise<void> {
    const slot = this.runs.get(runId);
    if (!slot || this.closed) return;
    const bounded = (p: Promise<unknown>): Promise<unknown> => Promise.race([p, new Promise((r) => setTimeout(r, waitMs).unref())]);
    if (slot.inFlight) await bounded(slot.inFlight);
    const target = slot.pending;
    if (!target) return;
    slot.pending = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.lastSentAt = Date.now();
    const sending = this.send(runId, target);
    slot.inFlight = sending.finally(() => {
      slot.inFlight = null;
    });
    await bounded(sending);
  }

  /** Drops pending edits of a run (it is ending) and waits briefly for one in flight, so it cannot land last. */
  async forget(runId: string, waitMs = 2000): Promise<void> {
    const slot = this.runs.get(runId);
    if (!slot) return;
    slot.pending = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (slot.inFlight) await Promise.race([slot.inFlight, new Promise((r) => setTimeout(r, waitMs).unref())]);
    this.runs.delete(runId);
  }

  close(): void {
    this.closed = true;
    for (const slot of this.runs.values()) if (slot.timer) clearTimeout(slot.timer);
    this.runs.clear();
  }
}
