import type { WebClient } from '@slack/web-api';
import type { KnownBlock, Block } from '@slack/types';

export interface SlackMessage {
  text: string;
  blocks?: (KnownBlock | Block | Record<string, unknown>)[];
}

/** The port through which jobs talk to Slack; one adapter (WebClient) here, an emulator behind it in tests. */
export interface ThreadPublisher {
  postRoot(channel: string, msg: SlackMessage): Promise<string>;
  updateRoot(channel: string, ts: string, msg: SlackMessage): Promise<void>;
  postInThread(channel: string, threadTs: string, msg: SlackMessage): Promise<string>;
  uploadFile(channel: string, threadTs: string, file: { filename: string; title: string; content: Buffer | string }): Promise<void>;
}

export function webClientPublisher(client: WebClient): ThreadPublisher {
  return {
    async postRoot(channel, msg) {
      const res = await client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks as KnownBlock[] | undefined, unfurl_links: false });
      return String(res.ts ?? '');
    },
    async updateRoot(channel, ts, msg) {
      await client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks as KnownBlock[] | undefined });
    },
    async postInThread(channel, threadTs, msg) {
      const res = await client.chat.postMessage({
        channel,
        thread_ts: threadTs,
        text: msg.text,
        blocks: msg.blocks as KnownBlock[] | undefined,
        unfurl_links: false,
      });
      return String(res.ts ?? '');
    },
    async uploadFile(channel, threadTs, file) {
      await client.filesUploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        file: typeof file.content === 'string' ? Buffer.from(file.content) : file.content,
        filename: file.filename,
        title: file.title,
      });
    },
  };
}
