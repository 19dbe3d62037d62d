// Coded errors: `code` decides handling (retry or not), `userMessage` is what a person sees (Slack, terminal),
// `message` and `cause` are for the log only. Never put secrets in any of them. `kind` is the cause class of
// the user-message table (src/shared/user-messages.ts); it defaults from the code.

import { describeCause, type Cause, type CauseFacts, type UserMessage } from './user-messages.js';

export type ErrorCode =
  | 'BAD_INPUT'
  | 'BAD_CONFIG'
  | 'UNKNOWN_CUSTOMER'
  | 'NOT_ALLOWED'
  | 'SOURCE_UNAVAILABLE'
  /** A database stopped answering: a client-side deadline (connect or query) expired. Transient. */
  | 'SOURCE_STALLED'
  /** The database named in the connection URL does not exist. Permanent. */
  | 'DATABASE_MISSING'
  /** The database refused the login (password, role, pg_hba). Permanent until the config or credentials change. */
  | 'AUTH_FAILED'
  | 'QUERY_TIMEOUT'
  | 'READ_ONLY_VIOLATION'
  | 'CREDENTIAL_COMMAND_FAILED'
  /** A person is at their limit of runs in flight (slack.maxRunsPerUser). A refusal, not a fault. */
  | 'TOO_MANY_RUNS'
  | 'INTERNAL';

/** Errors that retrying cannot fix: bad input, bad config, forbidden, writes through the read path. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set([
  'BAD_INPUT',
  'BAD_CONFIG',
  'UNKNOWN_CUSTOMER',
  'NOT_ALLOWED',
  'READ_ONLY_VIOLATION',
  'DATABASE_MISSING',
  'AUTH_FAILED',
]);

const KIND_OF_CODE: Record<ErrorCode, Cause> = {
  BAD_INPUT: 'bad_input',
  BAD_CONFIG: 'bad_config',
  UNKNOWN_CUSTOMER: 'bad_input',
  NOT_ALLOWED: 'not_allowed',
  SOURCE_UNAVAILABLE: 'unreachable',
  SOURCE_STALLED: 'stopped_answering',
  DATABASE_MISSING: 'database_missing',
  AUTH_FAILED: 'auth_refused',
  QUERY_TIMEOUT: 'timeout',
  READ_ONLY_VIOLATION: 'read_only_violation',
  CREDENTIAL_COMMAND_FAILED: 'credential_command',
  TOO_MANY_RUNS: 'too_many_runs',
  INTERNAL: 'internal',
};

export interface BotErrorOptions {
  hint?: string;
  cause?: unknown;
  logMessage?: string;
  /** The cause class a person reads about; defaults from the code. */
  kind?: Cause;
  /** The facts the message was rendered from (table errors only), to render it again after the retries. */
  facts?: CauseFacts;
}

export class BotError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly hint: string | undefined;
  readonly kind: Cause;
  readonly facts: CauseFacts | undefined;

  constructor(code: ErrorCode, userMessage: string, opts: BotErrorOptions = {}) {
    super(opts.logMessage ?? userMessage, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BotError';
    this.code = code;
    this.userMessage = userMessage;
    this.hint = opts.hint;
    this.kind = opts.kind ?? KIND_OF_CODE[code];
    this.facts = opts.facts;
  }

  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}

export function isPermanent(err: unknown): boolean {
  return err instanceof BotError && err.permanent;
}

/**
 * The message a person reads once the retries are spent: "the run tried 5 times over 1 min 15 s" instead of
 * "the run retries for up to 1 min 15 s". Errors not rendered from the table keep their message.
 */
export function afterRetries(err: unknown, attemptsMade: number): { message: string; hint?: string } | null {
  if (!(err instanceof BotError) || !err.facts) return null;
  const m = describeCause(err.kind, { ...err.facts, attemptsMade });
  return m.hint ? { message: m.message, hint: m.hint } : { message: m.message };
}

/**
 * What a person may see for any error: our own message with its cause class, or the table's line for a bug
 * (details go to the log). `ref` (a run, job or error id) lets a bug report find the log line.
 */
export function userFacing(err: unknown, ref?: string): UserMessage {
  if (err instanceof BotError) {
    const hint = err.hint ?? (err.kind === 'internal' ? describeCause('internal', ref ? { ref } : {}).hint : undefined);
    return hint ? { cause: err.kind, message: err.userMessage, hint } : { cause: err.kind, message: err.userMessage };
  }
  return describeCause('internal', ref ? { ref } : {});
}
