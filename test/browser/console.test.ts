import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGroundTruthPath } from '../../dev/demo/demo-data-command.js';
import { clickhouseUrl } from '../support/clickhouse-url.js';
import { launchChromium } from './chromium.js';
import { fileText, tableImageStates, tableReadability } from './table-readability.js';
import { alive, consoleEnv, dropConsoleData, freePort, startConsole, type ConsoleRun } from './console-process.js';

// `npm run console` in a real browser: Debian's Chromium (playwright-core) on local-slack's web UI, the bot in
// Socket Mode behind it, real PostgreSQL, Redis and ClickHouse. People act through the UI only ("Act as", the
// composer, buttons); expected numbers come from the demo data's ground truth. Screenshots of every step go to
// .cache/console/screenshots (docs/console-*.png are copies of the best four).
//
// Waits are on visible UI state with generous deadlines (a loaded 2-core machine); nothing sleeps.

const UI_WAIT = 90_000;
const SHOTS = path.resolve('.cache/console/screenshots');
const tag = `browser${process.pid}`;

let env: NodeJS.ProcessEnv;
let run: ConsoleRun | undefined;
let browser: Browser | undefined;
let page: Page;

function truthJan(): { submitted: [number, number]; unsubmitted: [number, number] } {
  const file = defaultGroundTruthPath(process.cwd(), { seed: 42, scale: 0.001, customers: ['rentokil'], from: undefined, to: undefined });
  const t = JSON.parse(readFileSync(file, 'utf8')) as { perCustomer: Record<string, { monthly: Record<'submitted' | 'unsubmitted', Record<string, [number, number]>> }> };
  const m = t.perCustomer.rentokil!.monthly;
  return { submitted: m.submitted['2026-01']!, unsubmitted: m.unsubmitted['2026-01']! };
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const flat = async (l: Locator): Promise<string> => (await l.innerText()).replace(/\s+/g, ' ');

async function actAs(userId: string): Promise<void> {
  await page.locator('.actas select').selectOption(userId);
}

async function send(text: string): Promise<void> {
  const box = page.locator('main .composer-input');
  await box.fill(text);
  await box.press('Enter');
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, name) });
}

const thread = (): Locator => page.locator('.thread-pane');
const inChannel = (text: string | RegExp): Locator => page.locator('.messages .msg', { hasText: text });
const inThread = (text: string | RegExp): Locator => thread().locator('.msg', { hasText: text });

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  browser = await launchChromium();
  env = consoleEnv(tag, clickhouseUrl(), await freePort());
  await dropConsoleData(env);
  run = await startConsole(env, 240_000);
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
}, 300_000);

afterAll(async () => {
  // What the console and the bot printed, beside the screenshots, for whoever reads a failure.
  if (run) await writeFile(path.join(SHOTS, 'console-output.log'), run.output()).catch(() => undefined);
  if (run) await cp(path.join(run.dir, 'logs'), path.join(SHOTS, 'logs'), { recursive: true }).catch(() => undefined);
  if (env?.CONSOLE_OPS_DATABASE) {
    const state = execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', env.CONSOLE_OPS_DATABASE, '-c', 'SELECT id, status, error FROM scorecard_bot.backfill_requests', '-c', 'SELECT request_id, action, detail FROM scorecard_bot.backfill_audit ORDER BY id'], { encoding: 'utf8' });
    await writeFile(path.join(SHOTS, 'ops-state.txt'), state).catch(() => undefined);
  }
  await page?.screenshot({ path: path.join(SHOTS, 'last.png') }).catch(() => undefined);
  await browser?.close();
  await run?.interrupt();
  if (env) await dropConsoleData(env);
  if (run) await rm(run.dir, { recursive: true, force: true });
});

describe('npm run console in a browser', () => {
  let csvId = '';

  it('alice runs /scorecard-gap rentokil jan-2026: the thread shows the numbers, the chart loads, the CSV is attached', async () => {
    const jan = truthJan();
    const [total, missing] = jan.submitted;
    await page.goto(run!.url);
    await page.locator('.channel-title', { hasText: 'incident' }).waitFor({ timeout: UI_WAIT });
    await actAs('U0ALICE');
    await send('/scorecard-gap rentokil jan-2026');

    const root = inChannel(`${fmt(missing)} of ${fmt(total)} submitted`).first();
    await root.waitFor({ timeout: UI_WAIT });
    await root.locator('.thread-summary').click();
    // The Request backfill button is the run's last post: the thread is complete when it shows.
    await thread().getByRole('button', { name: 'Request backfill' }).waitFor({ timeout: UI_WAIT });
    await thread().locator('.thread-body').evaluate((el) => el.scrollTo(0, 0));
    await shot('01-gap-thread.png');

    expect(await flat(inThread('Excluded by design').first())).toContain(`${fmt(missing)} of ${fmt(total)} missing`);
    // The tables are images (the thread pane is 380 px: no text table fits it) with their CSVs beside them. Each
    // thumbnail fits the pane at its default width; a click opens the whole table, large enough to read.
    const tableImages = await tableImageStates(thread());
    expect(tableImages.map((t) => t.title)).toEqual(expect.arrayContaining(['Monthly', 'Daily', 'Timeline']));
    for (const t of tableImages) {
      expect(t.naturalWidth, t.title).toBeGreaterThan(0);
      expect(t.right, t.title).toBeLessThanOrEqual(t.paneRight + 0.5);
      // Full size: 13 px DejaVu Sans Mono at 2x, so every digit is as large as the thread's own text.
      expect(t.naturalHeight, t.title).toBeGreaterThanOrEqual(2 * 22 * 2);
    }
    const monthlyCsv = await fileText(thread(), 'Monthly (CSV)');
    expect(monthlyCsv).toContain(`Jan 2026,"${fmt(total)}","${fmt(missing)}"`);
    const monthly = tableImages.find((t) => t.title === 'Monthly')!;
    // Every row of the CSV is a row of the image: header + rows at 22 px, drawn at 2x.
    expect(monthly.naturalHeight).toBeGreaterThanOrEqual(2 * 22 * monthlyCsv.trim().split('\n').length);
    // No table in the thread is left as text that wraps or hides numbers.
    const tables = await tableReadability(thread());
    expect(tables.problems).toEqual([]);
    const daily = thread().locator('.file-image', { hasText: 'Daily' }).first();
    await daily.scrollIntoViewIfNeeded();
    await shot('01b-daily-table.png');
    // A click on a thumbnail opens the whole table (a new tab, as local-slack links it): every row, full size.
    const full = await browser!.newPage({ viewport: { width: 1600, height: 1000 } });
    await full.goto(new URL((await daily.locator('a').getAttribute('href')) ?? '', run!.url).toString());
    const size = await full.locator('img').evaluate((img: HTMLImageElement) => ({ w: img.naturalWidth, h: img.naturalHeight }));
    const dailyCsv = await fileText(thread(), 'Daily (CSV)');
    expect(size.h).toBeGreaterThanOrEqual(2 * 22 * dailyCsv.trim().split('\n').length);
    await full.screenshot({ path: path.join(SHOTS, '01c-daily-full.png') });
    await full.close();

    const chart = thread().locator('img[src*="missing-rate.png"]');
    await chart.scrollIntoViewIfNeeded();
    await expect.poll(() => chart.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), { timeout: UI_WAIT }).toBeGreaterThan(400);

    const csv = inThread('missing scorecard IDs').first();
    await csv.scrollIntoViewIfNeeded();
    expect(await flat(csv)).toContain('CSV');
    const href = await csv.locator('a[href*="missing-scorecards.csv"]').first().getAttribute('href');
    const body = await (await page.request.get(new URL(href ?? '', run!.url).toString())).text();
    const rows = body.trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.filter((r) => r[1] === 'submitted')).toHaveLength(missing);
    expect(rows.filter((r) => r[1] === 'unsubmitted')).toHaveLength(jan.unsubmitted[1]);
    csvId = rows.find((r) => r[1] === 'submitted')?.[0] ?? '';
    await shot('02-chart-and-csv.png');
  });

  it('alice checks a scorecard from the CSV with /scorecard-check and sees its verdict', async () => {
    expect(csvId).toMatch(/^[0-9a-f-]{36}$/);
    await send(`/scorecard-check ${csvId}`);
    const verdict = inChannel(csvId).filter({ hasText: 'Missing from historic' }).first();
    await verdict.waitFor({ timeout: UI_WAIT });
    await verdict.scrollIntoViewIfNeeded();
    expect(await flat(verdict)).toContain('rentokil');
    // The check's table too: no "[table]" placeholder, its lines readable.
    expect(await flat(verdict)).not.toContain('[table]');
    const checkTables = await tableReadability(verdict);
    expect(checkTables.problems).toEqual([]);
    expect(checkTables.tables).toBe(1);
    await shot('03-check-verdict.png');
  });

  it("alice requests a backfill; eve's and alice's approvals are refused; bob approves and the gap closes", async () => {
    const jan = truthJan();
    await thread().getByRole('button', { name: 'Request backfill' }).click();
    // The plan message itself (its CSV follows it, also titled "Backfill plan"): the one with the buttons.
    const plan = thread().locator('.msg', { hasText: 'Backfill plan', has: page.getByRole('button', { name: 'Approve', exact: true }) }).last();
    const approve = plan.getByRole('button', { name: 'Approve', exact: true });
    await approve.waitFor({ timeout: UI_WAIT });
    expect(await flat(plan)).toContain(`historic: ${fmt(jan.submitted[1])} submitted, ${fmt(jan.unsubmitted[1])} unsubmitted`);
    // The plan is an edit (no files): its tables are lists, nothing cut off at the pane's edge.
    expect(await flat(plan)).toContain('Left alone');
    expect((await tableReadability(plan)).tables).toBe(0);
    expect(await plan.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);

    // eve is no approver; alice asked (never the requester); each refusal is an ephemeral line for who clicked, in
    // the thread where the click was, naming who can approve.
    await actAs('U0EVE');
    await approve.click();
    const refused = inThread('Only an approver can approve a backfill').last();
    await refused.waitFor({ timeout: UI_WAIT });
    expect(await flat(refused)).toMatch(/Ask @Bob/); // the mention, rendered as the person
    await actAs('U0ALICE');
    await approve.click();
    await inThread('You cannot approve your own backfill request').last().waitFor({ timeout: UI_WAIT });
    await shot('04-approvals-refused.png');
    expect(await approve.isVisible()).toBe(true); // refusals changed nothing

    await actAs('U0BOB');
    await approve.click();
    const done = inThread('Backfill done').last();
    await done.waitFor({ timeout: UI_WAIT });
    await done.scrollIntoViewIfNeeded();
    expect(await flat(done)).toContain(`rentokil, Jan 2026, submitted: ${fmt(jan.submitted[1])} missing → 0`);
    expect(await flat(done)).toContain(`rentokil, Jan 2026, unsubmitted: ${fmt(jan.unsubmitted[1])} missing → 0`);
    await shot('05-backfill-done.png');
  });

  it('Ctrl-C stops the console and every process it started', async () => {
    const { pids } = run!.state();
    expect(Object.keys(pids).sort()).toEqual(['bot', 'console', 'localSlack']);
    expect(await run!.interrupt()).toBe(0);
    for (const pid of Object.values(pids)) expect(alive(pid), `pid ${pid}`).toBe(false);
    const left = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(run!.dir));
    expect(left).toEqual([]);
  });
});
