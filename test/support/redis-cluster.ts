import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from './job-helpers.js';

// Real Redis topologies a test starts itself with Debian's redis-server and redis-cli, in a temporary directory, on
// free ports: a Redis Cluster (primaries with one replica each) and a Sentinel setup (a primary, a replica, three
// sentinels). Every process is a child of the test; stop() kills them all and removes the directory, and an exit
// hook does the same if the test process goes away first. A missing binary fails the test, never skips it.

export function requireBinaries(...names: string[]): void {
  for (const name of names) {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore' });
    } catch (err) {
      throw new Error(`${name} is required for this test and could not be run (on Debian: apt-get install -y redis-server redis-tools): ${(err as Error).message}`);
    }
  }
}

export function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 }).trim();
}

function tryCli(port: number, ...args: string[]): string | null {
  try {
    return redisCli(port, ...args);
  } catch {
    return null;
  }
}

interface Proc {
  port: number;
  child: ChildProcess;
}

class Processes {
  readonly dir = mkdtempSync(join(tmpdir(), 'sgb-redis-'));
  readonly procs: Proc[] = [];
  private readonly onExit = () => this.killAll();

  constructor() {
    process.once('exit', this.onExit);
  }

  start(port: number, args: string[], name: string): Proc {
    const log = join(this.dir, `${name}.log`);
    const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--logfile', log, '--daemonize', 'no'], {
      cwd: this.dir,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    const p = { port, child };
    this.procs.push(p);
    return p;
  }

  kill(port: number): number {
    const p = this.procs.find((x) => x.port === port);
    if (!p?.child.pid) throw new Error(`no process of ours on port ${port}`);
    p.child.kill('SIGKILL');
    return p.child.pid;
  }

  killAll(): void {
    for (const p of this.procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    const waits = this.procs.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once('exit', r)) : Promise.resolve()));
    this.killAll();
    await Promise.all(waits);
    process.removeListener('exit', this.onExit);
  }
}

const waitForPing = (port: number) => until(async () => (tryCli(port, 'ping') === 'PONG' ? true : null), 10_000, `redis on ${port}`);

export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'slave';
  masterId: string | null;
  failed: boolean;
  slots: [number, number][];
}

export interface OwnRedisCluster {
  ports: number[];
  /** Seed nodes for redis.cluster.nodes. */
  nodes: string[];
  dir: string;
  /** CLUSTER NODES as seen from a live node. */
  topology(): ClusterNodeInfo[];
  /** The port of the primary serving a slot. */
  primaryOf(slot: number): number;
  keyslot(key: string): number;
  /** SIGKILL the process on that port; returns its pid. */
  kill(port: number): number;
  /** Resolves once a replica of the lost primary serves its slots and the cluster is ok again. */
  waitForFailover(lostPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(addr!)![1]),
        role: flags!.includes('master') ? 'master' : 'slave',
        masterId: master === '-' ? null : master!,
        failed: /fail/.test(flags!) && !/fail\?/.test(flags!),
        slots: slots.filter((s) => /^\d/.test(s)).map((s) => {
          const [a, b] = s.split('-').map(Number);
          return [a!, b ?? a!] as [number, number];
        }),
      };
    });
}

/** A Redis Cluster of `primaries` primaries, each with one replica, that fails a lost primary over in about 2 s. */
export async function startRedisCluster(opts: { primaries?: number; nodeTimeoutMs?: number } = {}): Promise<OwnRedisCluster> {
  requireBinaries('redis-server', 'redis-cli');
  const count = (opts.primaries ?? 3) * 2;
  const procs = new Processes();
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const busPort = await freePort();
      ports.push(port);
      procs.start(
        port,
        [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(procs.dir, `nodes-${port}.conf`),
          '--cluster-port', String(busPort),
          '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 1000),
          // A replica may take over however long it has been apart from its primary (the test kills at any time).
          '--cluster-replica-validity-factor', '0',
          '--repl-diskless-sync', 'yes',
          '--repl-diskless-sync-delay', '0',
          '--save', '',
          '--appendonly', 'no',
          '--dir', procs.dir,
          '--dbfilename', `dump-${port}.rdb`,
        ],
        `node-${port}`,
      );
    }
    for (const port of ports) await waitForPing(port);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { stdio: 'ignore', timeout: 30_000 });
    const live = (): number => {
      const port = ports.find((p) => tryCli(p, 'ping') === 'PONG');
      if (port === undefined) throw new Error('no live cluster node');
      return port;
    };
    const topology = (): ClusterNodeInfo[] => parseNodes(redisCli(live(), 'cluster', 'nodes'));
    // Ready: every node says the cluster is ok, and every replica has its primary's data (a replica that never
    // synced would refuse to take over).
    await until(async () => (ports.every((p) => /cluster_state:ok/.test(tryCli(p, 'cluster', 'info') ?? '')) ? true : null), 20_000, 'cluster_state:ok on every node');
    await until(
      async () => {
        const replicas = topology().filter((n) => n.role === 'slave');
        return replicas.length === count / 2 && replicas.every((r) => /master_link_status:up/.test(tryCli(r.port, 'info', 'replication') ?? '')) ? true : null;
      },
      20_000,
      'every replica in sync',
    );
    const primaryOf = (slot: number): number => {
      const owner = topology().find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
      if (!owner) throw new Error(`no primary serves slot ${slot}`);
      return owner.port;
    };
    return {
      ports,
      nodes: ports.slice(0, 3).map((p) => `redis://127.0.0.1:${p}`),
      dir: procs.dir,
      topology,
      primaryOf,
      keyslot: (key) => Number(redisCli(live(), 'cluster', 'keyslot', key)),
      kill: (port) => procs.kill(port),
      async waitForFailover(lostPort, timeoutMs = 30_000) {
        const slot = topology().find((n) => n.port === lostPort)?.slots[0]?.[0];
        if (slot === undefined) throw new Error(`${lostPort} served no slot`);
        return until(
          async () => {
            if (topology().find((n) => n.port === lostPort)?.slots.length) return null;
            if (!ports.filter((p) => p !== lostPort).every((p) => /cluster_state:ok/.test(tryCli(p, 'cluster', 'info') ?? ''))) return null;
            const now = primaryOf(slot);
            return now !== lostPort ? now : null;
          },
          timeoutMs,
          `a replica of ${lostPort} promoted`,
        );
      },
      stop: () => procs.stop(),
    };
  } catch (err) {
    await procs.stop();
    throw err;
  }
}

export interface OwnSentinelSetup {
  primaryPort: number;
  replicaPort: number;
  sentinels: { host: string; port: number }[];
  name: string;
  kill(port: number): number;
  /** The port the sentinels name as the primary now. */
  currentPrimary(): number;
  waitForFailover(lostPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** A primary, one replica, and three sentinels (quorum 2) that fail the primary over about 1 s after it is lost. */
export async function startSentinelSetup(name = 'sgbmaster'): Promise<OwnSentinelSetup> {
  requireBinaries('redis-server', 'redis-cli');
  const procs = new Processes();
  try {
    const common = ['--save', '', '--appendonly', 'no', '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--dir', procs.dir];
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    procs.start(primaryPort, [...common, '--dbfilename', `dump-${primaryPort}.rdb`], `primary-${primaryPort}`);
    procs.start(replicaPort, [...common, '--dbfilename', `dump-${replicaPort}.rdb`, '--replicaof', '127.0.0.1', String(primaryPort)], `replica-${replicaPort}`);
    await waitForPing(primaryPort);
    await waitForPing(replicaPort);
    await until(async () => (/master_link_status:up/.test(tryCli(replicaPort, 'info', 'replication') ?? '') ? true : null), 20_000, 'replica in sync');
    const sentinels: { host: string; port: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(procs.dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      // A sentinel rewrites its config file: each has its own.
      procs.start(port, [conf, '--sentinel'], `sentinel-${port}`);
      sentinels.push({ host: '127.0.0.1', port });
    }
    for (const s of sentinels) await waitForPing(s.port);
    const currentPrimary = (): number => {
      for (const s of sentinels) {
        const out = tryCli(s.port, 'sentinel', 'get-master-addr-by-name', name);
        if (out) return Number(out.split('\n')[1]);
      }
      throw new Error('no sentinel answers');
    };
    // Every sentinel has found the replica and the other sentinels.
    await until(
      async () => (sentinels.every((s) => /num-slaves\n1\n[\s\S]*num-other-sentinels\n2/.test(tryCli(s.port, 'sentinel', 'master', name) ?? '')) ? true : null),
      20_000,
      'sentinels know the replica and each other',
    );
    return {
      primaryPort,
      replicaPort,
      sentinels,
      name,
      kill: (port) => procs.kill(port),
      currentPrimary,
      async waitForFailover(lostPort, timeoutMs = 30_000) {
        return until(
          async () => {
            const now = currentPrimary();
            return now !== lostPort && /role:master/.test(tryCli(now, 'info', 'replication') ?? '') ? now : null;
          },
          timeoutMs,
          `the sentinels promote a replica of ${lostPort}`,
        );
      },
      stop: () => procs.stop(),
    };
  } catch (err) {
    await procs.stop();
    throw err;
  }
}
