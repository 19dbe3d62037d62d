// `npm run bench:slack`: Slack-side latency on the demo data (run `npm run demo` first).
// - ack latency: 200 correctly signed /scorecard-gap commands over HTTP into the real Bolt app (median, p99);
// - time from the command to the full report in the thread for `rentokil jan-2026`.
// Slack's Web API is the test emulator (no Slack here); PostgreSQL, Redis and ClickHouse are real.
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/load-config.js';
import { createServeContext } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { deleteRedisKeys } from '../test/support/demo-database.js';
import { startSlackEmulator } from '../test/support/slack-emulator.js';
import { postSigned, slashCommandBody } from '../test/support/slack-requests.js';

const SECRET = 'bench-secret';
const N = Number(process.env.BENCH_COMMANDS ?? 200);

async function main(): Promise<void> {
  const slack = await startSlackEmulator();
  const env = { ...process.env, SLACK_MODE: 'http', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, PORT: '0', SLACK_API_URL: slack.apiUrl };
  const base = parseConfig(readFileSync('config/demo.yml', 'utf8'), env);
  const config = { ...base, redis: { url: base.redis!.url, prefix: `bench-${Date.now()}` }, logLevel: 'silent' as const };
  const ctx = await createServeContext(config, { listen: true, logger: createLogger({ level: 'silent' }) });
  const url = `http://127.0.0.1:${await ctx.start()}/slack/events`;
  try {
    // Command to full report.
    const t0 = performance.now();
    await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text: 'rentokil jan-2026', response_url: slack.responseUrl() }));
    const root = await slack.waitFor(() => slack.messages('C0INCIDENT').find((m) => /rentokil/.test(m.text ?? '')), 30_000);
    await slack.waitFor(() => slack.callsTo('chat.update').some((c) => c.args.ts === root.ts && /Details in the thread/.test(String(c.args.text))), 300_000);
    const fullMs = performance.now() - t0;
    const replies = slack.threadReplies('C0INCIDENT', root.ts).length;

    // Ack latency: valid commands (the first of a subject starts a run, the rest join it) and bad ones.
    const acks: number[] = [];
    for (let i = 0; i < N; i++) {
      const text = i % 2 === 0 ? 'nclh jan-2026' : 'nclh janvier';
      const t = performance.now();
      const res = await postSigned(url, SECRET, slashCommandBody({ command: '/scorecard-gap', text, response_url: slack.responseUrl() }));
      acks.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`command ${i} got HTTP ${res.status}`);
    }
    acks.sort((a, b) => a - b);
    const q = (p: number) => acks[Math.min(acks.length - 1, Math.floor(p * acks.length))]!;
    console.log(`ack latency over ${N} signed commands (half valid, half refused): median ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${acks[acks.length - 1]!.toFixed(1)} ms`);
    console.log(`/scorecard-gap rentokil jan-2026: command to full report (${replies} thread messages and files) in ${(fullMs / 1000).toFixed(2)} s`);
  } finally {
    await ctx.close();
    await slack.close();
    await deleteRedisKeys(`${config.redis.prefix}*`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
