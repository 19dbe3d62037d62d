import type { App } from '@slack/bolt';
import type pg from 'pg';
import { z } from 'zod';
import { startGapRun, type StartGapDeps } from '../gap/gap-flow.js';
import { BotError, userFacing } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { authorize, permalink, type SlackAccess } from '../slack/authorize.js';
import { FULL_REPORT_ACTION_ID } from './alert-blocks.js';
import { AlertStore, pendingBackfills } from './alert-store.js';
import { homeView } from './home-view.js';
import { lookbackPeriod } from './lookback.js';

// The watchdog's Slack surface: the App Home board (app_home_opened -> views.publish) and the alert's
// "Full report" button, which starts the normal /scorecard-gap run of the alert's customer and lookback and says
// in the alert's thread where it is.

export interface WatchSlackDeps {
  opsPool: pg.Pool;
  gap: StartGapDeps;
  slack: SlackAccess;
  logger: Logger;
  now?: () => Date;
}

const reportValueSchema = z.object({ customer: z.string().min(1).max(63), lookback: z.string().regex(/^last-[1-9]\d{0,3}(h|d)$/) }).strict();

export function registerWatchSlack(deps: WatchSlackDeps): (app: App) => void {
  const store = new AlertStore(deps.opsPool);
  const now = deps.now ?? (() => new Date());
  return (app) => {
    app.event('app_home_opened', async ({ event, client }) => {
      if ((event as { tab?: string }).tab && (event as { tab?: string }).tab !== 'home') return;
      try {
        const [audits, alerts, pending] = await Promise.all([store.lastAudits(), store.allOpen(), pendingBackfills(deps.opsPool)]);
        await client.views.publish({ user_id: event.user, view: homeView({ audits, alerts, pendingBackfills: pending, now: now() }) });
      } catch (err) {
        deps.logger.warn({ err, user: event.user }, 'watch: could not publish the App Home');
      }
    });

    app.action(FULL_REPORT_ACTION_ID, async ({ ack, body, respond }) => {
      await ack();
      const b = body as {
        user: { id: string };
        channel?: { id?: string };
        container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
        message?: { ts?: string; thread_ts?: string };
        actions?: { value?: string }[];
      };
      const channel = b.channel?.id ?? b.container?.channel_id ?? '';
      // The alert's thread: the report runs in it (status message and results as replies), not as a new root.
      const threadTs = b.message?.thread_ts ?? b.container?.thread_ts ?? b.message?.ts ?? b.container?.message_ts ?? undefined;
      try {
        authorize(deps.slack, channel, b.user.id);
        const parsed = reportValueSchema.safeParse((() => { try { return JSON.parse(b.actions?.[0]?.value ?? ''); } catch { return null; } })());
        if (!parsed.success || !deps.gap.sources.customers.some((c) => c.name === parsed.data.customer)) {
          throw new BotError('BAD_INPUT', 'This button names no customer I know; nothing was started.', { hint: 'Run /scorecard-gap <customer> <period> instead.' });
        }
        const period = lookbackPeriod(parsed.data.lookback, now());
        const outcome = await startGapRun(deps.gap, { customer: parsed.data.customer, period }, { channel, user: b.user.id, ...(threadTs ? { threadTs } : {}) });
        const root = outcome.status === 'started' ? outcome.rootTs : outcome.run.rootTs;
        const link = root ? permalink(channel, root) : null;
        const text = `<@${b.user.id}> ${outcome.status === 'started' ? 'started' : 'joined'} the full report of ${parsed.data.customer}, ${period.label}${link ? `: ${link}` : ''}`;
        // A joined run may live elsewhere: link it. A started one posts its status message right here.
        if (threadTs && outcome.status === 'joined') await deps.gap.publisher.postInThread(channel, threadTs, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
      } catch (err) {
        deps.logger.info({ err, user: b.user.id, channel }, 'watch: full report refused or failed');
        const { message, hint } = userFacing(err);
        await respond({ response_type: 'ephemeral', replace_original: false, text: `:warning: ${message}${hint ? ` ${hint}` : ''}` }).catch(() => undefined);
      }
    });
  };
}
