import { BotError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CommandRoute } from '../slack/routes.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { parseSilenceCommand, SILENCE_WORDS } from './silence-input.js';
import { silencedMessage, silenceListMessage, silenceUsage, unsilencedMessage } from './silence-blocks.js';
import type { SilenceStore } from './silence-store.js';

// `/scorecard-gap silence …` and `/scorecard-gap unsilence …`: a route of the same command as the gap run, chosen by
// its first word (slack-app.ts). The adapter gates it like every command (allowed channels and users), and bad text
// is thrown before the ack so the adapter answers it with the usage; nothing is recorded then.

export interface SilenceCommandDeps {
  silences: SilenceStore;
  publisher: ThreadPublisher;
  customers: readonly string[];
  logger: Logger;
  now?: () => Date;
}

export function silenceSlashCommand(deps: SilenceCommandDeps): CommandRoute {
  const now = deps.now ?? (() => new Date());
  return {
    command: '/scorecard-gap',
    subcommands: SILENCE_WORDS,
    name: 'silence command',
    usage: (err) => silenceUsage(err, deps.customers[0]),
    async handle({ command, ack, respond }) {
      const parsed = parseSilenceCommand(command.text, deps.customers);
      const at = now();
      if (parsed.action === 'list') {
        await ack(silenceListMessage(await deps.silences.active(at)));
        return;
      }
      await ack();
      const who = { user: command.user_id, channel: command.channel_id };
      if (parsed.action === 'silence') {
        const s = await deps.silences.create({ customer: parsed.customer, from: at, to: new Date(at.getTime() + parsed.durationMs), reason: parsed.reason, by: who.user, channel: who.channel });
        deps.logger.info({ ...who, silence: s.id, customer: s.customer, to: s.to.toISOString() }, 'watch: silenced');
        await deps.publisher.postRoot(who.channel, silencedMessage(s));
        return;
      }
      const ended = await deps.silences.end('id' in parsed ? { id: parsed.id } : { customer: parsed.customer }, who.user, at);
      if (ended.length === 0) {
        const configured = (await deps.silences.active(at)).filter((s) => s.id === null && 'customer' in parsed && (s.customer === parsed.customer || s.customer === 'all'));
        throw new BotError('BAD_INPUT', `No silence from Slack ${'id' in parsed ? `numbered ${parsed.id}` : `of ${parsed.customer}`} is in force; nothing changed.`, {
          hint: configured.length > 0 ? 'A silence from the config file (`silences:`) ends when the file says, or when it is removed from the file.' : 'See them with /scorecard-gap silence list',
        });
      }
      deps.logger.info({ ...who, silences: ended.map((s) => s.id) }, 'watch: silence ended early');
      await deps.publisher.postRoot(who.channel, unsilencedMessage(ended, who.user));
    },
  };
}
