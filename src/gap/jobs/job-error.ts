import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { afterRetries, BotError, isPermanent, userFacing, type ErrorCode } from '../../shared/errors.js';
import { CAUSES, describeCause } from '../../shared/user-messages.js';
import { maskSecrets } from '../../shared/mask.js';

// A job's error crosses Redis as a string (BullMQ keeps only `message`). What a person may see travels in it as
// tagged JSON, so the failure handler can tell our own user message from raw text (zod issues, "Missing lock
// for job", a Slack API error) that belongs in the log only.

const TAG = 'scorecard-bot-error:';

const carriedSchema = z.object({ code: z.string(), cause: z.enum(CAUSES).default('internal'), message: z.string(), hint: z.string().optional() });
export type CarriedError = z.infer<typeof carriedSchema>;

export const GENERIC_FAILURE = describeCause('internal').message;

/**
 * Permanent errors become UnrecoverableError (no retry); the rest are retried with backoff. `finalAttempt`: this
 * was the last try, so the message says how often the run tried instead of how long it will retry.
 */
export function toJobError(err: unknown, finalAttempt?: number): Error {
  const shown = (finalAttempt === undefined ? null : afterRetries(err, finalAttempt)) ?? userFacing(err);
  const carried: CarriedError = {
    code: err instanceof BotError ? err.code : 'INTERNAL',
    cause: err instanceof BotError ? err.kind : 'internal',
    message: shown.message,
    ...(shown.hint && err instanceof BotError ? { hint: shown.hint } : {}),
  };
  const text = TAG + JSON.stringify(carried);
  return isPermanent(err) ? new UnrecoverableError(text) : new Error(text);
}

/** What a thread may show for a job's error: the carried user message, or a generic line for anything else. */
export function userFacingJobError(err: { message: string }): CarriedError & { ours: boolean } {
  if (err.message.startsWith(TAG)) {
    try {
      const parsed = carriedSchema.safeParse(JSON.parse(err.message.slice(TAG.length)));
      if (parsed.success) return { ...parsed.data, ours: true };
    } catch {
      // fall through: not ours after all
    }
  }
  return { code: 'INTERNAL', cause: 'internal', message: GENERIC_FAILURE, ours: false };
}

/** One masked line for the log: the error's code and message, never its stack or a connection string. */
export function logDetail(err: unknown): { code: ErrorCode | string; message: string; cause?: string } {
  if (err instanceof BotError) {
    const cause = err.cause instanceof Error ? maskSecrets(err.cause.message) : undefined;
    return { code: err.code, message: maskSecrets(err.message), ...(cause ? { cause } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  const ours = userFacingJobError({ message });
  return ours.ours ? { code: ours.code, message: maskSecrets(ours.message) } : { code: 'INTERNAL', message: maskSecrets(message) };
}
