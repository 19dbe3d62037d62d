/**
 * Runs `pass` now and then every `intervalMs`, never two at once in this process (a slow pass makes the next tick
 * skip); `stop()` ends the schedule and waits for the pass in flight. The timer does not keep the process alive.
 */
export function startPeriodic(pass: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = (): void => {
    running ??= pass()
      .then(() => undefined, onError)
      .finally(() => {
        running = null;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
