import type { WebClient } from '@slack/web-api';
import type { KnownBlock, Block } from '@slack/types';
import { tablesAsLists, withoutTableBlocks } from './table-fallback.js';
import { tablesAsImages } from './table-images.js';
import type { OutgoingMessage } from './slack-message.js';


/** Tags a thread post with the run and step it belongs to (Slack message metadata), so a re-run can find it. */
export interface StepTag {
  runId: string;
  step: string;
}

/** A reply already in a thread, as far as re-posting decisions need it. */
export interface ThreadReply {
  ts: string;
  tag: StepTag | null;
  fileTitles: string[];
}

/** A file to upload; content `{ path }` is read from disk at upload. */
export interface UploadedFile {
  filename: string;
  title: string;
  content: Buffer | string | { path: string };
}

// A string `file` is a path to the SDK (it reads the file once, at upload).
const fileArg = (f: UploadedFile): Buffer | string =>
  typeof f.content === 'string' ? Buffer.from(f.content) : Buffer.isBuffer(f.content) ? f.content : f.content.path;

export const STEP_EVENT_TYPE = 'scorecard_bot_step';

/**
 * The jobs' Web API client: a request gives up after 10 s and is retried twice (0.5 s, 1 s), so an unreachable
 * Slack costs a job about half a minute at most instead of the client's default of retrying for half an hour.
 */
export const SLACK_CLIENT_OPTIONS = {
  timeout: 10_000,
  retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000 },
} as const;

/** The port through which jobs talk to Slack; one adapter (WebClient) here, an emulator behind it in tests. */
export interface ThreadPublisher {
  /** threadTs: post the run's status message as a reply in that thread instead of at the top of the channel. */
  postRoot(channel: string, msg: OutgoingMessage, threadTs?: string): Promise<string>;
  updateRoot(channel: string, ts: string, msg: OutgoingMessage): Promise<void>;
  postInThread(channel: string, threadTs: string, msg: OutgoingMessage, tag?: StepTag): Promise<string>;
  /** content `{ path }`: uploaded from a file on disk (the missing-ID CSV, streamed there so it never sits in the heap). */
  uploadFile(channel: string, threadTs: string, file: UploadedFile): Promise<void>;
  /** Several files as one message in the thread (one files.completeUploadExternal for all of them). */
  uploadFiles(channel: string, threadTs: string, files: UploadedFile[]): Promise<void>;
  /** The thread's replies with their step tags (needs channels:history / groups:history). */
  threadReplies(channel: string, threadTs: string): Promise<ThreadReply[]>;
  /** One message as it is now (text and blocks), or null when it is gone; to edit it without re-rendering it. */
  getMessage(channel: string, ts: string): Promise<OutgoingMessage | null>;
}

function tagOf(metadata: unknown): StepTag | null {
  const m = metadata as { event_type?: unknown; event_payload?: { runId?: unknown; step?: unknown } } | undefined;
  if (m?.event_type !== STEP_EVENT_TYPE) return null;
  const { runId, step } = m.event_payload ?? {};
  return typeof runId === 'string' && typeof step === 'string' ? { runId, step } : null;
}

/**
 * tableBlocks false (slack.tableBlocks): `table` blocks go out as monospace code, for clients that cannot draw them.
 * tableImages (slack.tableImages): a thread post's tables go out as PNG files with their CSVs, right after it, and
 * anything else (roots, edits) gets its tables as lists (local-slack's pane fits no table, and it draws no fences).
 */
export function webClientPublisher(client: WebClient, opts: { tableBlocks?: boolean; tableImages?: boolean } = {}): ThreadPublisher {
  // Roots and edits cannot carry files: with tableImages (a pane too narrow for any table) their tables are lists.
  const shape = opts.tableImages
    ? tablesAsLists
    : opts.tableBlocks === false
      ? withoutTableBlocks
      : (m: OutgoingMessage): OutgoingMessage => m;
  const upload = (channel: string, threadTs: string, files: UploadedFile[]): Promise<unknown> =>
    client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file_uploads: files.map((f) => ({ file: fileArg(f), filename: f.filename, title: f.title })) });
  return {
    async postRoot(channel, raw, threadTs) {
      const msg = shape(raw);
      const res = await client.chat.postMessage({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), text: msg.text, blocks: msg.blocks as KnownBlock[] | undefined, unfurl_links: false });
      return String(res.ts ?? '');
    },
    async updateRoot(channel, ts, raw) {
      const msg = shape(raw);
      await client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks as KnownBlock[] | undefined });
    },
    async postInThread(channel, threadTs, raw, tag) {
      const images = opts.tableImages ? tablesAsImages(raw) : { message: raw, files: [] };
      const msg = shape(images.message);
      const res = await client.chat.postMessage({
        channel,
        thread_ts: threadTs,
        text: msg.text,
        blocks: msg.blocks as KnownBlock[] | undefined,
        unfurl_links: false,
        ...(tag ? { metadata: { event_type: STEP_EVENT_TYPE, event_payload: { runId: tag.runId, step: tag.step } } } : {}),
      });
      if (images.files.length > 0) await upload(channel, threadTs, images.files);
      return String(res.ts ?? '');
    },
    async uploadFile(channel, threadTs, file) {
      await client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file: fileArg(file), filename: file.filename, title: file.title });
    },
    async uploadFiles(channel, threadTs, files) {
      // The SDK completes uploads that share channel, thread and comment in one call: one message with every file.
      await upload(channel, threadTs, files);
    },
    async getMessage(channel, ts) {
      // conversations.replies on a message's own ts returns that message first (whether or not it has replies).
      const res = await client.conversations.replies({ channel, ts, limit: 1, inclusive: true });
      const m = (res.messages ?? []).find((x) => x.ts === ts) as { text?: string; blocks?: OutgoingMessage['blocks'] } | undefined;
      return m ? { text: m.text ?? '', blocks: m.blocks ?? [] } : null;
    },
    async threadReplies(channel, threadTs) {
      const out: ThreadReply[] = [];
      let cursor: string | undefined;
      do {
        const res = await client.conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
        for (const m of res.messages ?? []) {
          if (m.ts === threadTs) continue;
          const files = (m as { files?: Array<{ title?: string; name?: string }> }).files ?? [];
          out.push({ ts: String(m.ts ?? ''), tag: tagOf((m as { metadata?: unknown }).metadata), fileTitles: files.map((f) => f.title ?? f.name ?? '') });
        }
        cursor = res.response_metadata?.next_cursor || undefined;
      } while (cursor);
      return out;
    },
  };
}
