import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../shared/logger.js';

/** Bolt logs through our pino logger, so its lines get the same redaction as ours. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const fmt = (msgs: unknown[]): string => msgs.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...m: unknown[]) => child.debug(fmt(m)),
    info: (...m: unknown[]) => child.info(fmt(m)),
    warn: (...m: unknown[]) => child.warn(fmt(m)),
    error: (...m: unknown[]) => child.error(fmt(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
