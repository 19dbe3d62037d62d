// Threat: the HTTP change source forwarded custom headers (X-Api-Key, PRIVATE-TOKEN) on a cross-origin redirect,
// followed https -> http, and read a body of any size. Two real servers on two ports are two origins.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHttpSource } from '../../src/changes/http-source.js';
import { changeSourceConfigSchema, type HttpChangeSourceConfig } from '../../src/config/changes-schema.js';

const WINDOW = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const EVENTS = JSON.stringify([{ at: '2026-01-06T12:00:00Z', title: 'deploy 7', kind: 'deploy' }]);

let trusted: Server;
let other: Server;
let trustedBase: string;
let otherBase: string;
const seenByOther: IncomingHttpHeaders[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  other = createServer((req, res) => {
    seenByOther.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(EVENTS);
  });
  otherBase = await listen(other);
  trusted = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/away') {
      res.writeHead(302, { location: `${otherBase}/events` });
      res.end();
    } else if (path === '/moved') {
      res.writeHead(301, { location: '/events' });
      res.end();
    } else if (path === '/events') {
      res.setHeader('content-type', 'application/json');
      res.end(req.headers['x-api-key'] === 'k3y' ? EVENTS : '[]');
    } else if (path === '/huge-declared') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.end();
    } else if (path === '/huge-streamed') {
      // No content-length: only counting while reading can stop it.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const push = (): void => {
        while (sent < 40 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        res.end('[]');
      };
      res.on('close', () => (sent = Infinity));
      push();
    }
  });
  trustedBase = await listen(trusted);
});

afterAll(async () => {
  await new Promise((r) => trusted.close(r));
  await new Promise((r) => other.close(r));
});

const source = (path: string, maxBytes?: number): HttpChangeSourceConfig =>
  changeSourceConfigSchema.parse({
    type: 'http',
    name: 'releases',
    url: `${trustedBase}${path}`,
    headers: { 'X-Api-Key': 'k3y', 'PRIVATE-TOKEN': 'glpat-secret' },
    ...(maxBytes ? { maxBytes } : {}),
  }) as HttpChangeSourceConfig;

describe('HTTP change source: where its headers may go, and how much it reads', () => {
  it('refuses a redirect to another origin, and the other origin never sees the headers', async () => {
    await expect(readHttpSource(source('/away'), WINDOW)).rejects.toThrow(/redirected to another origin .*refused/);
    expect(seenByOther).toEqual([]);
  });

  it('follows a redirect within the same origin, headers and all', async () => {
    const { events } = await readHttpSource(source('/moved'), WINDOW);
    expect(events.map((e) => e.title)).toEqual(['deploy 7']);
  });

  it('refuses an answer that declares more than maxBytes, without reading it', async () => {
    await expect(readHttpSource(source('/huge-declared'), WINDOW)).rejects.toThrow('answered with 50 MB, more than maxBytes (5 MB)');
  });

  it('stops reading an answer that grows past maxBytes', async () => {
    // 40 MB are on offer (then a valid "[]"): reading it all would have succeeded.
    await expect(readHttpSource(source('/huge-streamed', 1024 * 1024), WINDOW)).rejects.toThrow('more than maxBytes (1 MB); stopped reading');
  });
});
