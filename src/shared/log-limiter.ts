import type { Logger } from './logger.js';

// A dependency that is down makes the same warning every reconnect (every 2 s for Redis): one line per cause per
// minute is enough to see it, and the next line says how many were left out.

export interface LogLimiter {
  warn(cause: string, obj: Record<string, unknown>, msg: string): void;
  error(cause: string, obj: Record<string, unknown>, msg: string): void;
}

export function createLogLimiter(logger: Logger, opts: { windowMs?: number; now?: () => number } = {}): LogLimiter {
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const seen = new Map<string, { at: number; suppressed: number }>();
  const emit = (level: 'warn' | 'error', cause: string, obj: Record<string, unknown>, msg: string): void => {
    const t = now();
    const last = seen.get(cause);
    if (last && t - last.at < windowMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    seen.set(cause, { at: t, suppressed: 0 });
    logger[level](suppressed > 0 ? { ...obj, cause, suppressed } : { ...obj, cause }, suppressed > 0 ? `${msg} (and ${suppressed} more like it in the last minute)` : msg);
  };
  return {
    warn: (cause, obj, msg) => emit('warn', cause, obj, msg),
    error: (cause, obj, msg) => emit('error', cause, obj, msg),
  };
}
