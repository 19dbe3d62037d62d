import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BotError } from '../../src/shared/errors.js';
import { consoleSettings, type ConsoleSettings } from './console-settings.js';
import { loopbackBindShim } from './loopback-bind.js';
import { createServer } from 'node:net';

/** A port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
import { botConfigYaml, CONSOLE_WRITER_ROLE, workspaceYaml, WORKSPACE, type ConsoleTokens } from './console-workspace.js';
import { runGroup, startGroup, stopGroup, type Started } from './process-group.js';

// `npm run console`: the demo data, ClickHouse, a local Slack (local-slack, web UI) and `scorecard-bot serve` in
// Socket Mode against it. Ctrl-C (SIGINT) or SIGTERM stops everything it started, in reverse order.

const REAL_SLACK = 'README.md, "Running the Slack app" (a real Slack workspace)';

function say(line: string): void {
  process.stderr.write(`console: ${line}\n`);
}

/** local-slack's binary, or why there is none here. */
export function localSlackBinary(platform = process.platform, arch = process.arch): string {
  if (platform !== 'linux' || arch !== 'x64') {
    throw new BotError('BAD_CONFIG', `The console's local Slack (npm local-slack-linux-x64) runs on Linux x64 only; this is ${platform}-${arch}.`, {
      hint: `Try the bot in a real Slack workspace instead: ${REAL_SLACK}.`,
    });
  }
  try {
    const pkg = createRequire(import.meta.url).resolve('local-slack-linux-x64/package.json');
    const bin = path.join(path.dirname(pkg), 'bin', 'local-slack');
    if (existsSync(bin)) return bin;
  } catch {
    // fall through
  }
  throw new BotError('BAD_CONFIG', 'The optional dependency local-slack-linux-x64 is not installed.', {
    hint: `Run npm ci (without --omit=optional), or use a real Slack workspace: ${REAL_SLACK}.`,
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, alive: Started[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    const dead = alive.find((s) => s.child.exitCode !== null || s.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

async function socketConnected(base: string): Promise<boolean> {
  const res = await fetch(`${base}/_control/log`);
  const body = (await res.json()) as { log?: Array<{ summary?: string }> };
  return (body.log ?? []).some((e) => e.summary?.startsWith('socket connected'));
}

export async function runConsole(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const s: ConsoleSettings = consoleSettings(env);
  const bin = localSlackBinary();
  const root = process.cwd();
  const dir = path.resolve(root, s.CONSOLE_DIR);
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  const log = (name: string): string => path.join(dir, 'logs', `${name}.log`);
  const running = new Set<Started>();
  const node = [process.execPath, '--import', 'tsx', 'src/cli.ts'];
  const devCli = [process.execPath, '--import', 'tsx', 'dev/cli.ts'];
  const chPort = s.CONSOLE_CLICKHOUSE_PORT ?? (await freePort());
  const chEnv = {
    ...env,
    CLICKHOUSE_PORT: String(chPort),
    CLICKHOUSE_DATA_DIR: path.join(dir, 'clickhouse', 'data'),
    CLICKHOUSE_PID_FILE: path.join(dir, 'clickhouse', 'server.pid'),
    CLICKHOUSE_LOG_FILE: path.join(dir, 'clickhouse', 'server.log'),
  };
  const ownClickhouse = !s.CLICKHOUSE_URL;
  let stopping: Promise<void> | null = null;
  let services: Started[] = [];

  const stopAll = (why: string): Promise<void> => {
    stopping ??= (async () => {
      say(`stopping (${why})…`);
      for (const svc of [...services].reverse()) await stopGroup(svc, 8_000);
      for (const r of running) await stopGroup(r, 3_000);
      if (ownClickhouse) await runGroup(new Set(), 'clickhouse stop', 'bash', ['scripts/clickhouse/stop.sh'], { env: chEnv, logFile: log('clickhouse') }).catch(() => undefined);
      await rm(path.join(dir, 'console.json'), { force: true });
      say('stopped; nothing it started is left running.');
    })();
    return stopping;
  };
  const interrupted = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });

  const work = (async (): Promise<Started[]> => {
    const admin = s.DEMO_ADMIN_URL.replace(/\/+$/, '');
    let clickhouseUrl = s.CLICKHOUSE_URL ?? '';
    if (ownClickhouse) {
      // A server of ours left by a console that did not stop cleanly goes first: the console only ever talks to
      // the one it starts now, with its own data folder.
      await runGroup(running, 'clickhouse stop', 'bash', ['scripts/clickhouse/stop.sh'], { env: chEnv, logFile: log('clickhouse') }).catch(() => undefined);
      say(`starting ClickHouse on 127.0.0.1:${chPort}`);
      await runGroup(running, 'clickhouse', 'bash', ['scripts/clickhouse/start.sh'], { env: chEnv, logFile: log('clickhouse') });
      clickhouseUrl = `http://127.0.0.1:${chPort}`;
    }
    const ch = ['--clickhouse-url', clickhouseUrl, '--clickhouse-database', s.CONSOLE_CLICKHOUSE_DATABASE];
    say(`databases ${s.CONSOLE_DATABASE} (demo data) and ${s.CONSOLE_OPS_DATABASE} (ops); logs in ${path.relative(root, dir)}/logs`);
    const [cmd = 'node', ...pre] = node;
    const [devCmd = 'node', ...devPre] = devCli;
    await runGroup(
      running,
      'db:init',
      devCmd,
      [...devPre, 'db:init', '--database-url', `${admin}/${s.CONSOLE_DATABASE}`, '--create-database', '--readonly-role', 'scorecard_bot_ro', '--writer-role', CONSOLE_WRITER_ROLE, ...ch],
      { env, logFile: log('setup') },
    );
    await runGroup(running, 'ops:init', cmd, [...pre, 'ops:init', '--database-url', `${admin}/${s.CONSOLE_OPS_DATABASE}`, '--create-database'], { env, logFile: log('setup') });
    say(`loading the demo data (${s.CONSOLE_CUSTOMERS.join(', ')}, scale ${s.CONSOLE_SCALE}, submitted at full scale) if absent…`);
    await runGroup(
      running,
      'demo-data',
      devCmd,
      [...devPre, 'demo-data', '--database-url', `${admin}/${s.CONSOLE_DATABASE}`, ...ch, '--scale', String(s.CONSOLE_SCALE), '--submitted-scale', '1', '--customers', s.CONSOLE_CUSTOMERS.join(','), s.CONSOLE_RESET === '1' ? '--replace' : '--if-absent'],
      { env, logFile: log('setup') },
    );
    const deployments = path.join(dir, 'deployments');
    await runGroup(running, 'deployments repository', devCmd, [...devPre, 'deployments-repo', deployments], { env, logFile: log('setup') });

    const tokens: ConsoleTokens = {
      botToken: `xoxb-console-${randomBytes(12).toString('hex')}`,
      appToken: `xapp-console-${randomBytes(12).toString('hex')}`,
      signingSecret: randomBytes(16).toString('hex'),
    };
    // Everything the console starts is reachable from this machine only: anyone who reaches local Slack can act as
    // the approver. local-slack listens on every interface, so it runs with a shim that binds loopback instead.
    const base = `http://127.0.0.1:${s.CONSOLE_PORT}`;
    const shim = await loopbackBindShim(root, dir);
    const workspaceFile = path.join(dir, 'workspace.yml');
    const botConfigFile = path.join(dir, 'scorecard-bot.yml');
    await writeFile(workspaceFile, workspaceYaml(tokens), { mode: 0o600 });
    await writeFile(botConfigFile, botConfigYaml({ settings: s, tokens, clickhouseUrl, apiUrl: `${base}/api/`, deploymentsRepo: deployments }), { mode: 0o600 });

    say(`starting local Slack on ${base}`);
    const slack = startGroup(
      'local-slack',
      bin,
      ['--config', workspaceFile, '--port', String(s.CONSOLE_PORT), '--base-host', '127.0.0.1', '--files-dir', path.join(dir, 'files')],
      { env: { ...env, LD_PRELOAD: [shim, env.LD_PRELOAD].filter(Boolean).join(' ') }, logFile: log('local-slack') },
    );
    services = [slack];
    await waitFor('local-slack', async () => (await fetch(`${base}/_control/state`)).ok, services, 30_000);
    say('starting scorecard-bot serve (Socket Mode)');
    const bot = startGroup('scorecard-bot', cmd, [...pre, 'serve'], { env: { ...env, SCORECARD_BOT_CONFIG: botConfigFile }, logFile: log('scorecard-bot') });
    services = [slack, bot];
    await waitFor("the bot's Socket Mode connection", () => socketConnected(base), services, 60_000);
    const state = { url: base, channel: WORKSPACE.channel.id, pids: { localSlack: slack.child.pid, bot: bot.child.pid, console: process.pid } };
    await writeFile(path.join(dir, 'console.json'), JSON.stringify(state, null, 2));
    process.stdout.write(
      [
        '',
        `  Open ${base} : #incident, as alice (requester), bob (approver) or eve ("Act as", top right).`,
        '  Try: /scorecard-gap rentokil jan-2026   then /scorecard-check <an ID from the CSV>, and Request backfill.',
        '  Ctrl-C stops the console and everything it started.',
        '',
      ].join('\n') + '\n',
    );
    return services;
  })();

  const outcome = await Promise.race([work.then(() => null), interrupted, work.catch((err: unknown) => err)]);
  if (typeof outcome === 'string') {
    await stopAll(outcome);
    return 130;
  }
  if (outcome !== null) {
    say(`could not start: ${outcome instanceof Error ? outcome.message : String(outcome)}`);
    await stopAll('start failed');
    return 1;
  }
  const died = Promise.race(services.map((svc) => svc.exited.then(() => `${svc.name} exited; see ${log(svc.name)}`)));
  const why = await Promise.race([interrupted, died]);
  await stopAll(why);
  return why === 'SIGINT' || why === 'SIGTERM' ? 0 : 1;
}
