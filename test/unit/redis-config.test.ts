import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { effectiveRedisPrefix, hashTagOf } from '../../src/config/redis-schema.js';
import { createRedisClient, redisOptions } from '../../src/platform/redis-connections.js';
import { maskDeep } from '../../src/shared/mask.js';

// redis: one of url, sentinel or cluster; the cluster's prefix carries a hash tag.

const BASE = 'customers: [{ name: rentokil, profile: us-east-1, postgres: { url: postgres://ro@db/r } }]\n';
const parse = (redis: string, env: Record<string, string> = {}) => parseConfig(`${BASE}redis: ${redis}\n`, env);
function problems(redis: string): string {
  try {
    parse(redis);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('redis config', () => {
  it('a single server, as before: url and prefix, the prefix untouched', () => {
    const c = parse('{ url: redis://127.0.0.1:6379 }');
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'scorecard-bot' });
    expect(effectiveRedisPrefix(c.redis!)).toBe('scorecard-bot');
    expect(redisOptions(c.redis!, 'worker')).toEqual({ url: 'redis://127.0.0.1:6379', maxRetriesPerRequest: null });
    expect(redisOptions(c.redis!, 'command')).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  });

  it('Sentinel: sentinels, the master name, passwords and db; workers get Sentinel options with maxRetriesPerRequest null', () => {
    const c = parse('{ sentinel: { sentinels: [{ host: s1, port: 26379 }, { host: s2, port: 26380 }], name: mymaster, password: "${P}", sentinelPassword: "${SP}", db: 2 }, prefix: bot }', { P: 'pw', SP: 'spw' });
    expect(c.redis!.sentinel).toEqual({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'mymaster', password: 'pw', sentinelPassword: 'spw', db: 2 });
    expect(effectiveRedisPrefix(c.redis!)).toBe('bot');
    const worker = redisOptions(c.redis!, 'worker');
    expect(worker).toMatchObject({ sentinels: c.redis!.sentinel!.sentinels, name: 'mymaster', password: 'pw', sentinelPassword: 'spw', db: 2, maxRetriesPerRequest: null });
    expect(worker.url).toBeUndefined();
    expect(JSON.stringify(maskDeep(c.redis))).not.toMatch(/spw|"pw"/);
  });

  it('Cluster: seed nodes as URLs or { host, port }; a prefix without a hash tag is wrapped, one with a hash tag kept', () => {
    const c = parse('{ cluster: { nodes: [redis://10.0.0.1:7000, "10.0.0.2:7001", { host: 10.0.0.3, port: 7002 }], password: pw } }');
    expect(c.redis!.cluster!.nodes).toHaveLength(3);
    expect(effectiveRedisPrefix(c.redis!)).toBe('{scorecard-bot}');
    expect(effectiveRedisPrefix(parse('{ cluster: { nodes: [redis://a:1] }, prefix: "{bot}-prod" }').redis!)).toBe('{bot}-prod');
    expect(effectiveRedisPrefix(parse('{ cluster: { nodes: [redis://a:1] }, prefix: "prod-{bot}" }').redis!)).toBe('prod-{bot}');
    expect(effectiveRedisPrefix(parse('{ cluster: { nodes: [redis://a:1] }, prefix: bot-prod }').redis!)).toBe('{bot-prod}');
    const client = createRedisClient({ ...c.redis!, cluster: { ...c.redis!.cluster!, nodes: c.redis!.cluster!.nodes } }, 'worker');
    try {
      expect(client).toBeInstanceOf(Cluster);
      const cluster = client as Cluster;
      expect(cluster.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, password: 'pw' });
      expect((cluster as unknown as { startupNodes: unknown[] }).startupNodes).toEqual([
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '10.0.0.3', port: 7002 },
      ]);
    } finally {
      client.disconnect();
    }
    expect(() => redisOptions(c.redis!, 'worker')).toThrow(/cluster/);
  });

  it('hash tags as Redis Cluster reads them: the first non-empty {...}', () => {
    expect(hashTagOf('{scorecard-bot}:gap-window:1')).toBe('scorecard-bot');
    expect(hashTagOf('a{b}c{d}')).toBe('b');
    expect(hashTagOf('{}x{y}')).toBeNull();
    expect(hashTagOf('plain')).toBeNull();
  });

  it('refuses none, several, and bad fields, listing every problem at once with examples', () => {
    expect(problems('{ prefix: bot }')).toMatch(/redis: give one of url, sentinel or cluster, e\.g\. redis: \{ url: redis:\/\/127\.0\.0\.1:6379 \}.*sentinel: \{ sentinels:.*cluster: \{ nodes:/);
    const many = problems('{ url: redis://x, sentinel: { sentinels: [{ host: a }], name: "" }, cluster: { nodes: ["http://x/", 5], bad: 1 }, prefix: "a{b" }');
    expect(many).toContain('redis: url and sentinel and cluster are all given: keep exactly one of url, sentinel or cluster');
    expect(many).toContain('redis.sentinel.sentinels[0].port: must be a port number, e.g. 26379');
    expect(many).toContain('redis.sentinel.name: the master group name the sentinels monitor, e.g. mymaster');
    expect(many).toContain('redis.cluster.nodes[0]: a seed node as redis://host:port, e.g. redis://10.0.0.1:7000');
    expect(many).toContain('redis.cluster.nodes[1]: a seed node: redis://host:port or { host, port }');
    expect(many).toContain('redis.cluster: unknown key(s): bad');
    expect(many).toContain('redis.prefix: a hash tag is a non-empty {...} with no braces inside, e.g. {scorecard-bot}');
    expect(problems('{ cluster: { nodes: [] } }')).toContain('redis.cluster.nodes: list at least one seed node');
    expect(problems('{ sentinel: { sentinels: [], name: m } }')).toContain('redis.sentinel.sentinels: list at least one sentinel');
    expect(problems('{ url: redis://x, unknown: 1 }')).toContain('redis: unknown key(s): unknown');
  });
});
