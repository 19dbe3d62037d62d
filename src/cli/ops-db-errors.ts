import { BotError } from '../shared/errors.js';
import { maskSecrets } from '../shared/mask.js';
import { classifyPgError } from '../sources/read-only-db.js';

// What an operator reads when a CLI command cannot use the ops database. The two ops-specific cases (schema not
// migrated, role without a grant) name the fix; connection problems get the shared wording.

export function opsDatabaseError(err: unknown): unknown {
  if (err instanceof BotError) return err;
  const e = (err ?? {}) as { code?: string; message?: string };
  if (e.code === '42P01' || e.code === '42883' || e.code === '3F000') {
    return new BotError('BAD_CONFIG', `The ops database is not migrated to this version (${maskSecrets(e.message ?? '')}).`, {
      cause: err,
      hint: 'Apply the migrations: scorecard-bot ops:migrate --config FILE',
    });
  }
  if (e.code === '42501') {
    return new BotError('NOT_ALLOWED', `The ops database refused this role (${maskSecrets(e.message ?? '')}).`, {
      cause: err,
      hint: 'Grant the runtime role what README "The ops database roles" lists.',
    });
  }
  return classifyPgError(err, 'ops');
}
