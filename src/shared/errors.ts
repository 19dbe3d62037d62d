// Coded errors: `code` decides handling (retry or not), `userMessage` is what a person sees (Slack, terminal),
// `message` and `cause` are for the log only. Never put secrets in any of them.

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

export class BotError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, userMessage: string, opts: { hint?: string; cause?: unknown; logMessage?: string } = {}) {
    super(opts.logMessage ?? userMessage, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BotError';
    this.code = code;
    this.userMessage = userMessage;
    this.hint = opts.hint;
  }

  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}

export function isPermanent(err: unknown): boolean {
  return err instanceof BotError && err.permanent;
}

/** What a person may see for any error: our own message, or a generic line (details go to the log). */
export function userFacing(err: unknown): { message: string; hint?: string } {
  if (err instanceof BotError) return err.hint ? { message: err.userMessage, hint: err.hint } : { message: err.userMessage };
  return { message: 'Something went wrong inside the bot; the details are in its log.' };
}
