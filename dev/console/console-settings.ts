import { z } from 'zod';
import { BotError } from '../../src/shared/errors.js';

// `npm run console` settings, read from the environment once at start. Every name and port is its own (not the
// demo's scorecard_demo, not the tests'), because an approved backfill writes into the console's copy of the data.

const ident = (name: string, example: string) =>
  z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, `${name} must be a lower-case SQL identifier, e.g. ${example}`);
const port = (name: string, example: number) =>
  z.coerce.number({ error: `${name} must be a port number, e.g. ${example}` }).int(`${name} must be a port number, e.g. ${example}`).min(1, `${name} must be a port number, e.g. ${example}`).max(65535, `${name} must be a port number, e.g. ${example}`);

const CUSTOMERS = ['rentokil', 'spirit', 'guitar-center', 'nclh'] as const;

const settingsSchema = z.object({
  CONSOLE_PORT: port('CONSOLE_PORT', 3100).default(3100),
  // Unset: a free port, picked at start (the console's own ClickHouse never meets another one).
  CONSOLE_CLICKHOUSE_PORT: port('CONSOLE_CLICKHOUSE_PORT', 18100).optional(),
  CLICKHOUSE_URL: z.string().url('CLICKHOUSE_URL must be a URL, e.g. http://127.0.0.1:8123').optional(),
  CONSOLE_CLICKHOUSE_DATABASE: ident('CONSOLE_CLICKHOUSE_DATABASE', 'console_conversations').default('console_conversations'),
  CONSOLE_DATABASE: ident('CONSOLE_DATABASE', 'scorecard_console').default('scorecard_console'),
  CONSOLE_OPS_DATABASE: ident('CONSOLE_OPS_DATABASE', 'scorecard_console_ops').default('scorecard_console_ops'),
  CONSOLE_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'CONSOLE_REDIS_PREFIX: letters, digits, - and _, e.g. scorecard-console').default('scorecard-console'),
  CONSOLE_SCALE: z.coerce.number({ error: 'CONSOLE_SCALE must be a number in (0, 1], e.g. 0.001' }).gt(0, 'CONSOLE_SCALE must be in (0, 1], e.g. 0.001').lte(1, 'CONSOLE_SCALE must be in (0, 1], e.g. 0.001').default(0.001),
  CONSOLE_CUSTOMERS: z
    .string()
    .default(CUSTOMERS.join(','))
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(z.enum(CUSTOMERS, { error: `CONSOLE_CUSTOMERS: a comma-separated list of ${CUSTOMERS.join(', ')}, e.g. rentokil,spirit` })).min(1, 'CONSOLE_CUSTOMERS needs at least one customer, e.g. rentokil')),
  // 1: load the demo data again even when present (an approved backfill has filled the gap in the old copy).
  CONSOLE_RESET: z.enum(['0', '1'], { error: 'CONSOLE_RESET must be 0 or 1' }).default('0'),
  CONSOLE_DIR: z.string().min(1).default('.cache/console'),
  DEMO_ADMIN_URL: z.string().url('DEMO_ADMIN_URL must be a URL, e.g. postgres://postgres@127.0.0.1:5432').default('postgres://postgres@127.0.0.1:5432'),
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
});

export type ConsoleSettings = z.infer<typeof settingsSchema>;

export function consoleSettings(env: NodeJS.ProcessEnv): ConsoleSettings {
  const picked = Object.fromEntries(Object.keys(settingsSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = settingsSchema.safeParse(picked);
  if (!parsed.success) {
    throw new BotError('BAD_CONFIG', `npm run console: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return parsed.data;
}
