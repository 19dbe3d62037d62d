import { pino, destination, type Logger, type DestinationStream } from 'pino';
import { maskSecrets } from './mask.js';

export type { Logger };

// pino's redact removes known secret paths; the formatter masks URLs and tokens that end up inside messages or
// error text (a pg error can quote its connection string).
const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  'connectionString',
  '*.connectionString',
  'headers.authorization',
  'req.headers.authorization',
];

export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'scorecard-bot',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '***' },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)));
      },
    },
    formatters: {
      log(obj: Record<string, unknown>) {
        return JSON.parse(maskSecrets(JSON.stringify(obj, errorReplacer))) as Record<string, unknown>;
      },
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options, destination(2));
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: value.message, stack: value.stack };
    for (const [k, v] of Object.entries(value)) out[k] = v;
    if (value.cause !== undefined) out.cause = value.cause;
    return out;
  }
  return value;
}
