import type { Block, KnownBlock } from '@slack/types';

/** A rendered message: what every view returns. */
export interface SlackMessage {
  /** Fallback text: notifications, screen readers, clients that can't render the blocks. */
  text: string;
  blocks: KnownBlock[];
}

/**
 * What the publisher posts: a rendered message, or one with blocks @slack/types does not know yet (the `table`
 * block) or none at all.
 */
export interface OutgoingMessage {
  text: string;
  blocks?: (KnownBlock | Block | Record<string, unknown>)[];
}

/** A reply only the person who asked sees (slash-command ack or response_url). */
export type EphemeralMessage = SlackMessage & { response_type: 'ephemeral' };
