import type pg from 'pg';
import { z } from 'zod';
import { startGapRun, type StartGapDeps } from '../gap/start-gap-run.js';
import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { permalink } from '../slack/authorize.js';
import type { ActionRoute, SlackSurface } from '../slack/routes.js';
import type { WebClient } from '@slack/web-api';
import { FULL_REPORT_ACTION_ID } from './alert-blocks.js';
import { AlertStore, lastRepairs, pendingBackfills } from './alert-store.js';
import type { ViewerAccess } from '../slack/viewer-access.js';
import { HOME_PAGE_ACTION_ID, homeRefusedView, homeView } from './home-view.js';
import { lookbackPeriod } from './lookback.js';
import { recentActivity, recentChannels } from './recent-activity.js';
import { oncallRoutes } from './oncall-slack.js';
import { silenceSlashCommand } from './silence-slack.js';
import type { SilenceStore } from './silence-store.js';

// The watchdog's Slack surface: the App Home board (app_home_opened -> views.publish), the alert's Acknowledge and
// Snooze (oncall-slack.ts) and its "Full report" button, which starts the normal /scorecard-gap run of the alert's customer and lookback and says
// in the alert's thread where it is.

export interface WatchSlackDeps {
  opsPool: pg.Pool;
  gap: StartGapDeps;
  logger: Logger;
  /** Who may see the board (members of the allowed channels, slack.viewers). */
  viewers: ViewerAccess;
  now?: () => Date;
  /** Silences (the App Home's section and /scorecard-gap silence); absent: neither. */
  silences?: SilenceStore;
}

const reportValueSchema = z.object({ customer: z.string().min(1).max(63), lookback: z.string().regex(/^last-[1-9]\d{0,3}(h|d)$/) }).strict();

function parseReportValue(value: string): z.infer<typeof reportValueSchema> | null {
  try {
    const parsed = reportValueSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function watchSurface(deps: WatchSlackDeps): SlackSurface {
  const store = new AlertStore(deps.opsPool);
  const now = deps.now ?? (() => new Date());
  /** The gate comes before any read: an outsider's view is built from nothing but the reason. */
  const publishHome = async (user: string, page: number, client: Pick<WebClient, 'views'>): Promise<void> => {
    const access = await deps.viewers.canView(user);
    if (!access.ok) {
      await client.views.publish({ user_id: user, view: homeRefusedView(access.reason) });
      return;
    }
    const [audits, alerts, pending, repairs, recent, silences] = await Promise.all([
      store.lastAudits(),
      store.allOpen(),
      pendingBackfills(deps.opsPool),
      lastRepairs(deps.opsPool),
      recentChannels(deps.opsPool).then(async (channels) => recentActivity(deps.opsPool, await deps.viewers.channelsOf(user, channels))),
      deps.silences ? deps.silences.active(now()) : Promise.resolve([]),
    ]);
    await client.views.publish({ user_id: user, view: homeView({ audits, alerts, pendingBackfills: pending, repairs, now: now(), page, recent, silences }) });
  };
  const pageRoute = (suffix: 'prev' | 'next'): ActionRoute => ({
    actionId: `${HOME_PAGE_ACTION_ID}_${suffix}`,
    name: 'watch: App Home page',
    surface: 'home',
    async handle({ click, client }) {
      const page = Number.parseInt(click.value, 10);
      if (!client || !Number.isInteger(page) || page < 0 || page > 10_000) throw new BotError('BAD_INPUT', 'This button names no page of the board.');
      await publishHome(click.user, page, client);
    },
  });
  return {
    commands: deps.silences
      ? [silenceSlashCommand({ silences: deps.silences, publisher: deps.gap.publisher, customers: deps.gap.sources.customers.map((c) => c.name), logger: deps.logger, now })]
      : [],
    events: [
      {
        event: 'app_home_opened',
        name: 'watch: App Home',
        async handle({ event, client }) {
          if (event.tab && event.tab !== 'home') return;
          await publishHome(event.user, 0, client);
        },
      },
    ],
    actions: [
      pageRoute('prev'),
      pageRoute('next'),
      ...oncallRoutes({ store, publisher: deps.gap.publisher, isMember: (user, channel) => deps.viewers.isMember(user, channel), logger: deps.logger, now }),
      {
        actionId: FULL_REPORT_ACTION_ID,
        name: 'watch full report',
        async handle({ click }) {
          // The alert's thread: the report runs in it (status message and results as replies), not as a new root.
          const threadTs = click.threadTs ?? click.messageTs ?? undefined;
          const value = parseReportValue(click.value);
          if (!value || !deps.gap.sources.customers.some((c) => c.name === value.customer)) {
            throw new BotError('BAD_INPUT', 'This button names no customer I know; nothing was started.', { hint: 'Run /scorecard-gap <customer> <period> instead.' });
          }
          const period = lookbackPeriod(value.lookback, now());
          const outcome = await startGapRun(deps.gap, { customer: value.customer, period }, { channel: click.channel, user: click.user, ...(threadTs ? { threadTs } : {}) });
          const root = outcome.status === 'started' ? outcome.rootTs : outcome.run.rootTs;
          const link = root ? permalink(click.channel, root) : null;
          const text = `<@${click.user}> ${outcome.status === 'started' ? 'started' : 'joined'} the full report of ${value.customer}, ${period.label}${link ? `: ${link}` : ''}`;
          // A joined run may live elsewhere: link it. A started one posts its status message right here.
          if (threadTs && outcome.status === 'joined') await deps.gap.publisher.postInThread(click.channel, threadTs, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
        },
      },
    ],
  };
}
