import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockKitViolations } from './slack-limits.js';

// A small emulator of Slack's Web API for tests at the HTTP boundary: point a WebClient (or Bolt's
// clientOptions.slackApiUrl) at `apiUrl` and inspect what the app sent. Listens on 127.0.0.1, port 0.

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  /** Bearer token from the Authorization header, or the `token` argument. */
  token: string | null;
  at: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  files?: Array<{ id: string; title?: string }>;
  user: string;
  edited?: boolean;
  /** Message metadata ({event_type, event_payload}) as posted; returned by conversations.replies with include_all_metadata. */
  metadata?: unknown;
}

export interface StoredUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes: Buffer | null;
  completed: boolean;
  channel?: string;
  threadTs?: string;
  title?: string;
  initialComment?: string;
}

export interface RecordedResponse {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

export interface FailureOptions {
  /** HTTP status; 'ratelimited' defaults to 429 with Retry-After, everything else to 200 with ok:false. */
  status?: number;
  retryAfterSeconds?: number;
  /** How many calls in a row fail (default 1). */
  times?: number;
}

export interface SlackEmulator {
  url: string;
  apiUrl: string;
  calls: RecordedCall[];
  ephemerals: Array<{ channel: string; user: string; text?: string; blocks?: unknown[]; thread_ts?: string }>;
  uploads: StoredUpload[];
  responses: RecordedResponse[];
  /** Posts refused with invalid_blocks (API calls and response_url posts), with Slack's limits they broke. */
  rejected: Array<{ method: string; errors: string[] }>;
  /** Home tabs published with views.publish (accepted ones only), oldest first. */
  homeViews: Array<{ userId: string; view: Record<string, unknown> }>;
  /** Top-level messages of a channel, oldest first. */
  messages(channel: string): StoredMessage[];
  /** Replies in a thread, oldest first (the parent excluded). */
  threadReplies(channel: string, ts: string): StoredMessage[];
  callsTo(method: string): RecordedCall[];
  /** The next call(s) to `method` answer {ok:false, error}. */
  failNext(method: string, error: string, opts?: FailureOptions): void;
  /** Calls to `method` are carried out at once but answered only after `ms` (a slow Slack); 0 turns it off. */
  delayResponses(method: string, ms: number): void;
  /** A response_url on the emulator: POSTs to it are recorded in `responses`. */
  responseUrl(id?: string): string;
  setUser(id: string, user: Record<string, unknown>): void;
  setChannel(id: string, channel: Record<string, unknown>): void;
  setUsergroup(id: string, users: string[]): void;
  /** The members conversations.members lists for a channel (paged); unset C... channels have none. */
  setChannelMembers(id: string, users: string[]): void;
  /** Resolves with the predicate's first truthy value, polling every 10 ms; rejects after timeoutMs. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export interface SlackEmulatorOptions {
  /** Reject chat.postMessage/update/postEphemeral and response_url posts whose blocks break Slack's published
   *  limits (test/support/slack-limits.ts) with invalid_blocks (default true). */
  validateBlocks?: boolean;
  botUserId?: string;
  botId?: string;
  teamId?: string;
}

type Json = Record<string, unknown>;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Form fields that hold JSON (blocks, attachments, files...) arrive as strings; decode those. */
function decodeField(value: string): unknown {
  const t = value.trim();
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}'))) {
    try {
      return JSON.parse(t);
    } catch {
      return value;
    }
  }
  return value;
}

function parseArgs(req: IncomingMessage, body: Buffer, query: URLSearchParams): Json {
  const args: Json = {};
  for (const [k, v] of query) args[k] = decodeField(v);
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (body.length === 0) return args;
  if (type === 'application/json') return { ...args, ...(JSON.parse(body.toString('utf8')) as Json) };
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) args[k] = decodeField(v);
  return args;
}

/** The file in an upload POST: the first multipart part with a filename (what the WebClient sends), or the raw
 *  body (what curl --data-binary sends). */
function uploadedBytes(req: IncomingMessage, body: Buffer): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
  const mark = boundary?.[1] ?? boundary?.[2];
  if (!mark) return body;
  const delimiter = Buffer.from(`--${mark}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    parts.push(body.subarray(start + delimiter.length + 2, next - 2)); // skip CRLF after the delimiter and before the next
    start = next;
  }
  const decoded = parts.map((p) => {
    const split = p.indexOf('\r\n\r\n');
    return { head: p.subarray(0, split).toString('utf8'), content: p.subarray(split + 4) };
  });
  return (decoded.find((d) => /filename=/i.test(d.head)) ?? decoded[0])?.content ?? Buffer.alloc(0);
}

function send(res: ServerResponse, status: number, body: Json | string, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const validate = options.validateBlocks ?? true;
  const botUserId = options.botUserId ?? 'UBOT0001';
  const botId = options.botId ?? 'BBOT0001';
  const teamId = options.teamId ?? 'T0TEST001';
  const calls: RecordedCall[] = [];
  const store: StoredMessage[] = [];
  const ephemerals: SlackEmulator['ephemerals'] = [];
  const uploads: StoredUpload[] = [];
  const responses: RecordedResponse[] = [];
  const rejected: SlackEmulator['rejected'] = [];
  const homeViews: SlackEmulator['homeViews'] = [];
  const failures = new Map<string, Array<{ error: string } & FailureOptions>>();
  const delays = new Map<string, number>();
  const users = new Map<string, Json>();
  const channels = new Map<string, Json>();
  const usergroups = new Map<string, string[]>();
  const channelMembers = new Map<string, string[]>();
  let tsCounter = 0;
  let fileCounter = 0;
  let responseCounter = 0;
  let baseUrl = '';

  const nextTs = (): string => `1700000000.${String(++tsCounter).padStart(6, '0')}`;

  function limitErrors(method: string, args: Json): Json | null {
    if (!validate) return null;
    const violations = blockKitViolations(args);
    if (violations.length === 0) return null;
    rejected.push({ method, errors: violations });
    return { ok: false, error: 'invalid_blocks', errors: violations, response_metadata: { messages: violations } };
  }

  function checkBlocks(args: Json, method = 'chat'): Json | null {
    if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) return { ok: false, error: 'no_text' };
    if (validate && args.blocks !== undefined && !Array.isArray(args.blocks)) return { ok: false, error: 'invalid_blocks_format' };
    return limitErrors(method, args);
  }

  const handlers: Record<string, (args: Json) => Json> = {
    'api.test': (args) => ({ ok: true, args }),
    'auth.test': () => ({ ok: true, url: 'https://emulator.slack.test/', team: 'Emulated', user: 'scorecard-gap-bot', team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false }),
    'chat.postMessage': (args) => {
      const bad = checkBlocks(args, 'chat.postMessage');
      if (bad) return bad;
      const channel = str(args.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const threadTs = str(args.thread_ts);
      if (threadTs && !store.some((m) => m.channel === channel && m.ts === threadTs)) return { ok: false, error: 'thread_not_found' };
      const msg: StoredMessage = { channel, ts: nextTs(), text: str(args.text), blocks: args.blocks as unknown[] | undefined, user: botUserId };
      if (threadTs) msg.thread_ts = threadTs;
      if (args.metadata !== undefined) msg.metadata = args.metadata;
      store.push(msg);
      return { ok: true, channel, ts: msg.ts, message: { type: 'message', user: botUserId, bot_id: botId, text: msg.text, blocks: msg.blocks, ts: msg.ts, thread_ts: msg.thread_ts } };
    },
    'chat.update': (args) => {
      const bad = checkBlocks(args, 'chat.update');
      if (bad) return bad;
      const msg = store.find((m) => m.channel === str(args.channel) && m.ts === str(args.ts));
      if (!msg) return { ok: false, error: 'message_not_found' };
      if (args.text !== undefined) msg.text = str(args.text);
      if (args.blocks !== undefined) msg.blocks = args.blocks as unknown[];
      msg.edited = true;
      return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text, message: { text: msg.text, blocks: msg.blocks, user: botUserId } };
    },
    'chat.postEphemeral': (args) => {
      const bad = checkBlocks(args, 'chat.postEphemeral');
      if (bad) return bad;
      const channel = str(args.channel);
      const user = str(args.user);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!user) return { ok: false, error: 'user_not_in_channel' };
      ephemerals.push({ channel, user, text: str(args.text), blocks: args.blocks as unknown[] | undefined, ...(args.thread_ts ? { thread_ts: str(args.thread_ts) } : {}) });
      return { ok: true, message_ts: nextTs() };
    },
    'files.getUploadURLExternal': (args) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (!filename || !Number.isFinite(length)) return { ok: false, error: 'invalid_arguments' };
      const fileId = `F${String(++fileCounter).padStart(8, '0')}`;
      uploads.push({ fileId, filename, length, bytes: null, completed: false });
      return { ok: true, upload_url: `${baseUrl}/upload/${fileId}`, file_id: fileId };
    },
    'files.completeUploadExternal': (args) => {
      const files = (Array.isArray(args.files) ? args.files : []) as Array<{ id?: string; title?: string }>;
      if (files.length === 0) return { ok: false, error: 'invalid_arguments' };
      const done: Json[] = [];
      for (const f of files) {
        const up = uploads.find((u) => u.fileId === f.id);
        if (!up || up.bytes === null) return { ok: false, error: 'file_not_found' };
        Object.assign(up, { completed: true, channel: str(args.channel_id), threadTs: str(args.thread_ts), title: f.title, initialComment: str(args.initial_comment) });
        done.push({ id: up.fileId, name: up.filename, title: f.title ?? up.filename, size: up.bytes.length });
      }
      const channel = str(args.channel_id);
      if (channel) {
        const msg: StoredMessage = { channel, ts: nextTs(), text: str(args.initial_comment) ?? '', files: files.map((f) => ({ id: String(f.id), ...(f.title ? { title: f.title } : {}) })), user: botUserId };
        const threadTs = str(args.thread_ts);
        if (threadTs) msg.thread_ts = threadTs;
        store.push(msg);
      }
      return { ok: true, files: done };
    },
    'conversations.replies': (args) => {
      const channel = str(args.channel);
      const ts = str(args.ts);
      const parent = store.find((m) => m.channel === channel && m.ts === ts);
      if (!parent) return { ok: false, error: 'thread_not_found' };
      const withMeta = args.include_all_metadata === true || args.include_all_metadata === 'true';
      const thread = [parent, ...store.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts)];
      const messages = thread.map(({ metadata, channel: _c, ...m }) => ({ type: 'message', ...m, ...(withMeta && metadata !== undefined ? { metadata } : {}) }));
      return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
    },
    'conversations.info': (args) => {
      const id = str(args.channel) ?? '';
      const info = channels.get(id) ?? (id.startsWith('C') ? { name: id.toLowerCase() } : undefined);
      if (!info) return { ok: false, error: 'channel_not_found' };
      return { ok: true, channel: { id, is_channel: true, is_private: false, is_member: true, ...info } };
    },
    'users.info': (args) => {
      const id = str(args.user) ?? '';
      const info = users.get(id) ?? (id.startsWith('U') || id.startsWith('W') ? { name: id.toLowerCase() } : undefined);
      if (!info) return { ok: false, error: 'user_not_found' };
      return { ok: true, user: { id, team_id: teamId, deleted: false, is_bot: false, tz: 'UTC', real_name: String(info.name), profile: { display_name: String(info.name) }, ...info } };
    },
    'views.publish': (args) => {
      // "Views" (docs.slack.dev/surfaces/app-home, reference/views-api): a Home tab holds up to 100 blocks; each
      // block has the same limits as in a message (checked 50 at a time, the message limit).
      const view = args.view as Json | undefined;
      const userId = str(args.user_id);
      if (!userId) return { ok: false, error: 'invalid_arguments' };
      if (!view || view.type !== 'home' || !Array.isArray(view.blocks)) return { ok: false, error: 'invalid_arguments' };
      const blocks = view.blocks as unknown[];
      const errors = blocks.length > 100 ? [`a home view holds at most 100 blocks, got ${blocks.length}`] : [];
      for (let i = 0; i < blocks.length; i += 50) errors.push(...blockKitViolations({ blocks: blocks.slice(i, i + 50) }));
      if (validate && errors.length > 0) {
        rejected.push({ method: 'views.publish', errors });
        return { ok: false, error: 'invalid_blocks', errors };
      }
      homeViews.push({ userId, view });
      return { ok: true, view: { id: `V${homeViews.length}`, ...view } };
    },
    'conversations.members': (args) => {
      // Paged as Slack pages it: `limit` per page, an opaque next_cursor until the last page.
      const id = str(args.channel) ?? '';
      const all = channelMembers.get(id);
      if (!all) return id.startsWith('C') ? { ok: true, members: [], response_metadata: { next_cursor: '' } } : { ok: false, error: 'channel_not_found' };
      const limit = Math.max(1, Math.min(1000, Number(args.limit ?? 100)));
      const start = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64').toString()) : 0;
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64') : '';
      return { ok: true, members: page, response_metadata: { next_cursor: next } };
    },
    'usergroups.users.list': (args) => {
      const members = usergroups.get(str(args.usergroup) ?? '');
      return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const body = await readBody(req);
    const upload = /^\/upload\/([^/]+)$/.exec(url.pathname);
    if (upload && req.method === 'POST') {
      const up = uploads.find((u) => u.fileId === upload[1]);
      if (!up) return send(res, 404, 'unknown upload');
      up.bytes = uploadedBytes(req, body);
      return send(res, 200, `OK - ${up.bytes.length}`);
    }
    const response = /^\/response\/([^/]+)$/.exec(url.pathname);
    if (response && req.method === 'POST') {
      const text = body.toString('utf8');
      const parsed = (req.headers['content-type'] ?? '').includes('json') ? (JSON.parse(text) as Json) : parseArgs(req, body, new URLSearchParams());
      const bad = limitErrors('response_url', parsed);
      if (bad) return send(res, 400, bad);
      responses.push({ id: response[1] ?? '', body: parsed, at: Date.now() });
      return send(res, 200, 'ok');
    }
    const api = /^\/api\/([A-Za-z0-9._]+)$/.exec(url.pathname);
    if (!api) return send(res, 404, 'not found');
    const method = api[1] ?? '';
    const args = parseArgs(req, body, url.searchParams);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (str(args.token) ?? null);
    calls.push({ method, args, token, at: Date.now() });
    const queued = failures.get(method);
    const failure = queued?.[0];
    if (queued && failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.times <= 0) queued.shift();
      if (failure.error === 'ratelimited' && failure.status === undefined) {
        return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds ?? 1) });
      }
      return send(res, failure.status ?? 200, { ok: false, error: failure.error });
    }
    if (!token && method !== 'api.test') return send(res, 200, { ok: false, error: 'not_authed' });
    const handler = handlers[method];
    if (!handler) return send(res, 200, { ok: false, error: 'unknown_method' });
    const result = handler(args);
    const delay = delays.get(method) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return send(res, 200, result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { ok: false, error: 'internal_error', detail: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    calls,
    ephemerals,
    uploads,
    responses,
    rejected,
    homeViews,
    messages: (channel) => store.filter((m) => m.channel === channel && (m.thread_ts === undefined || m.thread_ts === m.ts)),
    threadReplies: (channel, ts) => store.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts),
    callsTo: (method) => calls.filter((c) => c.method === method),
    failNext(method, error, opts = {}) {
      const list = failures.get(method) ?? [];
      list.push({ error, ...opts });
      failures.set(method, list);
    },
    delayResponses: (method, ms) => void delays.set(method, ms),
    responseUrl: (id) => `${baseUrl}/response/${id ?? `R${++responseCounter}`}`,
    setUser: (id, user) => void users.set(id, user),
    setChannel: (id, channel) => void channels.set(id, channel),
    setUsergroup: (id, members) => void usergroups.set(id, members),
    setChannelMembers: (id, members) => void channelMembers.set(id, members),
    async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
