// The one table of what a person reads when something fails, keyed by cause class. Slack replies, the CLI's
// stderr and `--json` all render from it, so a cause reads the same everywhere. Every value in a sentence comes
// from the facts passed in (our config, our deadlines, structured error fields), never from a driver's message:
// that text ("sorry, too many clients already") goes to the log only.

export const CAUSES = [
  'capacity',
  'timeout',
  'stopped_answering',
  'unreachable',
  'auth_refused',
  'database_missing',
  'permission_denied',
  'read_only_violation',
  'clickhouse_unavailable',
  'credential_command',
  'bad_input',
  'bad_config',
  'not_allowed',
  'too_many_runs',
  'internal',
] as const;

export type Cause = (typeof CAUSES)[number];

/** What failed: a customer's database, ClickHouse, the bot's ops database, or its job queue. */
export type Store = 'customer' | 'clickhouse' | 'ops' | 'redis';

export interface RetryBudget {
  /** Tries counting the first. */
  attempts: number;
  /** First wait; it doubles on each later try. */
  backoffMs: number;
}

export interface CauseFacts {
  store?: Store;
  customer?: string;
  /** The customer's profile (region), shown next to its name. */
  profile?: string;
  /** How long the run keeps retrying this cause; absent when nothing retries it (the check, a CLI command). */
  retry?: RetryBudget;
  /** Set once the retries are spent: how many tries were made. */
  attemptsMade?: number;
  /** The deadline that expired (timeout, stopped_answering), or the wait for a connection. */
  timeoutMs?: number;
  /** Which setting holds that deadline, e.g. gap.statementTimeoutMs. */
  timeoutSetting?: string;
  /** A short reason in our own words, chosen by the classifier (e.g. "too many clients", "connection refused"). */
  reason?: string;
  /** Names from our own config: the host:port, database and user the bot used. */
  where?: string;
  database?: string;
  user?: string;
  /** The sentence of a refusal or bad input (our own words, built where the input was judged). */
  text?: string;
  hint?: string;
  /** What to quote when reporting a bug: a run, job or error id. */
  ref?: string;
}

export interface UserMessage {
  cause: Cause;
  message: string;
  hint?: string;
}

/** "60 s", "2 min", "1 min 15 s": a duration as a person says it. */
export function spokenDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)} s`;
  if (s <= 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (m < 60) return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The total wait of a retry budget with doubling backoff: 5 tries from 5 s wait 5 + 10 + 20 + 40 s. */
export function retryWindowMs(r: RetryBudget): number {
  return r.attempts <= 1 ? 0 : r.backoffMs * (2 ** (r.attempts - 1) - 1);
}

/** "acme's database (eu-west-1)", "ClickHouse", "the bot's ops database", "the job queue (Redis)". */
export function subjectOf(f: CauseFacts): string {
  switch (f.store ?? 'customer') {
    case 'clickhouse':
      return 'ClickHouse';
    case 'ops':
      return "the bot's ops database";
    case 'redis':
      return 'the job queue (Redis)';
    case 'customer':
      if (!f.customer) return 'the customer database';
      return `${f.customer}'s database${f.profile ? ` (${f.profile})` : ''}`;
  }
}

/** "the bot's ops database" opens a sentence as "The bot's ...": a customer's name keeps its own spelling. */
function capital(s: string): string {
  return s.startsWith('the ') ? `T${s.slice(1)}` : s;
}

/** "; the run retries for up to 1 min 15 s" when something retries, else what the person does instead. */
function retryClause(f: CauseFacts): { clause: string; hint: string } {
  if (f.attemptsMade !== undefined && f.attemptsMade > 1 && f.retry) {
    const waited = retryWindowMs({ attempts: f.attemptsMade, backoffMs: f.retry.backoffMs });
    return { clause: `; the run tried ${f.attemptsMade} times over ${spokenDuration(waited)}`, hint: 'Run the command again in a few minutes.' };
  }
  if (f.attemptsMade !== undefined) return { clause: '', hint: 'Run the command again in a few minutes.' };
  const window = f.retry ? retryWindowMs(f.retry) : 0;
  if (window > 0) return { clause: `; the run retries for up to ${spokenDuration(window)}`, hint: 'If it still fails after that, run the command again in a few minutes.' };
  return { clause: '', hint: 'Run the command again in a minute.' };
}

const within = (f: CauseFacts): string => (f.timeoutMs ? ` within ${spokenDuration(f.timeoutMs)}` : '');
const quoted = (name: string | undefined, what: string): string => (name ? ` ${what} "${name}"` : '');

interface Entry {
  /** The sentence a person reads, naming the subject and what happened. */
  message: (f: CauseFacts, subject: string) => string;
  /** What the person can do. */
  hint: (f: CauseFacts) => string | undefined;
  /** Transient causes say how long the run retries. */
  retried: boolean;
  /** For a failure shared by many customers: "none of the 4 customer databases <plural>". */
  plural: string;
}

const TABLE: Record<Cause, Entry> = {
  capacity: {
    message: (f, s) => `${capital(s)} has no free connections right now (${f.reason ?? 'too many clients'})`,
    hint: (f) => `${retryClause(f).hint} If it keeps happening, its owner should check max_connections; postgres.maxConnectionsPerServer caps the bot's share.`,
    retried: true,
    plural: 'has a free connection right now (too many clients)',
  },
  timeout: {
    message: (f, s) => `A query on ${s} timed out${f.timeoutMs ? ` after ${spokenDuration(f.timeoutMs)}` : ''}${f.timeoutSetting ? ` (${f.timeoutSetting})` : ''}`,
    hint: (f) => `Narrow the period${f.timeoutSetting ? `, or raise ${f.timeoutSetting}` : ''}; then run the command again.`,
    retried: true,
    plural: 'answered in time (queries timed out)',
  },
  stopped_answering: {
    message: (f, s) => `${capital(s)} stopped answering${f.reason ? ` (${f.reason})` : within(f) ? `: no reply${within(f)}` : ''}`,
    hint: (f) => `${retryClause(f).hint} If it keeps happening, check the server and the network.`,
    retried: true,
    plural: 'kept answering (connections stalled or were cut)',
  },
  unreachable: {
    message: (f, s) => `Cannot reach ${s}${f.reason ? `: ${f.reason}` : ''}`,
    hint: (f) =>
      f.store === 'redis'
        ? "Try again in a minute; if it persists, check the bot's Redis."
        : `${retryClause(f).hint} If it persists, check that the server is running and the host and port in the config.`,
    retried: true,
    plural: 'could be reached',
  },
  auth_refused: {
    message: (f, s) => `${capital(s)} refused the login${quoted(f.user, 'of user')}`,
    hint: (f) => (f.store === 'customer' || !f.store ? "Check the user and password of the customer's postgres URL or credential command." : 'Check the user and password in the config.'),
    retried: false,
    plural: 'accepted the login',
  },
  database_missing: {
    message: (f, s) => `${capital(s)} does not exist${f.database ? ` (the URL names "${f.database}")` : ''}`,
    hint: () => "Check the database name in the customer's postgres URL.",
    retried: false,
    plural: 'exists under the configured name',
  },
  permission_denied: {
    message: (f, s) => `The bot's read-only user${f.user ? ` "${f.user}"` : ''} has no permission on ${s}`,
    hint: (f) => f.hint ?? 'Grant the read-only role CONNECT on the database and SELECT on the contract tables (README, The read-only role, lists the grants).',
    retried: false,
    plural: 'lets the read-only user in (permission denied)',
  },
  read_only_violation: {
    message: (_f, s) => `The bot tried to write to ${s} through its read-only path, and was refused`,
    hint: (f) => `This is a bug in the bot, not a problem with the data: report it${f.ref ? ` with ${f.ref}` : ''}.`,
    retried: false,
    plural: 'accepted the read (a write was refused)',
  },
  clickhouse_unavailable: {
    message: (f) => `ClickHouse is unavailable${f.reason ? ` (${f.reason})` : ''}`,
    hint: (f) => `${retryClause(f).hint} If it persists, check ClickHouse and the clickhouse section of the config.`,
    retried: true,
    plural: 'reached ClickHouse',
  },
  credential_command: {
    message: (f, s) => `The credential command for ${s} failed${f.reason ? ` (${f.reason})` : ''}`,
    hint: (f) => f.hint ?? 'Run the credential command by hand to see why; the bot log has its exit code.',
    retried: true,
    plural: 'got its credentials (the credential command failed)',
  },
  bad_input: {
    message: (f) => f.text ?? 'The command could not be read',
    hint: (f) => f.hint,
    retried: false,
    plural: 'was asked correctly',
  },
  bad_config: {
    message: (f) => f.text ?? 'The config is not valid',
    hint: (f) => f.hint ?? 'Fix the config (scorecard-bot config:check lists every problem), then run the command again.',
    retried: false,
    plural: 'is configured correctly',
  },
  not_allowed: {
    message: (f) => f.text ?? 'That is not allowed here',
    hint: (f) => f.hint,
    retried: false,
    plural: 'allowed the request',
  },
  too_many_runs: {
    message: (f) => f.text ?? 'You have too many runs in flight',
    hint: (f) => f.hint ?? 'Wait for one of them to finish, then ask again.',
    retried: false,
    plural: 'took the request',
  },
  internal: {
    message: (f) => `Something went wrong inside the bot${f.text ? ` ${f.text}` : ''} (a bug, not a problem with your data or a database)`,
    hint: (f) => `Run the command again; if it fails the same way, report it${f.ref ? ` and quote ${f.ref}` : ' with the time it happened'} (the details are in the bot's log).`,
    retried: false,
    plural: 'answered (the bot hit a bug)',
  },
};

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** The message a person reads for a cause, with how long the run retries and what to do. */
export function describeCause(cause: Cause, facts: CauseFacts = {}): UserMessage {
  const entry = TABLE[cause];
  const head = entry.message(facts, subjectOf(facts));
  // After the retries a permanent cause says why it was not retried; before, only retried causes speak of it.
  const settled = facts.attemptsMade !== undefined && !entry.retried ? '; not retried, as waiting cannot fix it' : '';
  const message = sentence(entry.retried ? `${head}${retryClause(facts).clause}` : `${head}${settled}`);
  const hint = entry.hint(facts);
  return hint ? { cause, message, hint } : { cause, message };
}

/**
 * One line for many failures of customer databases (an `all` run, a check across customers): the shared cause
 * when they all share one, else a count by cause.
 */
export function describeMany(failures: readonly { customer: string; cause: Cause }[], retry?: RetryBudget): UserMessage {
  const n = failures.length;
  const causes = [...new Set(failures.map((f) => f.cause))];
  if (causes.length === 1) {
    const cause = causes[0] as Cause;
    const { hint } = describeCause(cause, { store: 'customer', retry });
    const message = n === 1 ? `The only customer database failed (${CAUSE_LABELS[cause]}).` : `None of the ${n} customer databases ${TABLE[cause].plural}.`;
    return hint ? { cause, message, hint } : { cause, message };
  }
  const counts = causes
    .map((c) => ({ c, k: failures.filter((f) => f.cause === c).length }))
    .sort((a, b) => b.k - a.k)
    .map(({ c, k }) => `${k} ${CAUSE_LABELS[c]}`);
  const cause = causes.every((c) => TABLE[c].retried) ? 'unreachable' : (failures[0]?.cause ?? 'internal');
  return { cause, message: `All ${n} customer databases failed: ${counts.join(', ')}.` };
}

/** Short names of the causes, for counts ("2 out of connections, 1 refused the login"). */
export const CAUSE_LABELS: Record<Cause, string> = {
  capacity: 'out of connections',
  timeout: 'timed out',
  stopped_answering: 'stopped answering',
  unreachable: 'unreachable',
  auth_refused: 'refused the login',
  database_missing: 'missing database',
  permission_denied: 'permission denied',
  read_only_violation: 'refused a write',
  clickhouse_unavailable: 'ClickHouse unavailable',
  credential_command: 'credential command failed',
  bad_input: 'bad input',
  bad_config: 'bad config',
  not_allowed: 'not allowed',
  too_many_runs: 'too many runs',
  internal: 'bot error',
};
