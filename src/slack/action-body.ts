import { z } from 'zod';
import { BotError } from '../shared/errors.js';

// One parser for every button click (block_actions): who clicked, where, on which message, and what the button
// carries. Each capability then parses `value` with its own codec.

const actionBodySchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().optional() }).optional(),
  container: z
    .object({
      type: z.string().optional(),
      channel_id: z.string().optional(),
      message_ts: z.string().optional(),
      is_ephemeral: z.boolean().optional(),
      thread_ts: z.string().optional(),
    })
    .optional(),
  message: z.object({ ts: z.string().optional(), thread_ts: z.string().optional() }).optional(),
  actions: z
    .array(z.object({ value: z.string().optional(), action_id: z.string().optional(), selected_option: z.object({ value: z.string() }).optional() }))
    .optional(),
});

export interface Click {
  user: string;
  channel: string;
  /** The clicked message. */
  messageTs: string | null;
  /** The thread the clicked message is in, when it is a reply. */
  threadTs: string | null;
  ephemeral: boolean;
  /** Clicked in a view (the App Home), not in a message: there is no channel. */
  fromView: boolean;
  actionId: string;
  /** What the button carries (a menu: the chosen option's value); the capability that owns the button decodes it. */
  value: string;
}

export function parseActionBody(body: unknown): Click {
  const parsed = actionBodySchema.safeParse(body);
  if (!parsed.success) throw new BotError('BAD_INPUT', 'This click came without the user or channel it belongs to; nothing was changed.');
  const b = parsed.data;
  return {
    user: b.user.id,
    channel: b.channel?.id ?? b.container?.channel_id ?? '',
    messageTs: b.message?.ts ?? b.container?.message_ts ?? null,
    threadTs: b.message?.thread_ts ?? b.container?.thread_ts ?? null,
    ephemeral: b.container?.is_ephemeral === true,
    fromView: b.container?.type === 'view',
    actionId: b.actions?.[0]?.action_id ?? '',
    value: b.actions?.[0]?.value ?? b.actions?.[0]?.selected_option?.value ?? '',
  };
}
