import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { planCsvFilename, planCsvHeader, planCsvLine, planCsvTitle, samplesShowAll } from './plan-csv.js';
import type { BackfillRequest, BackfillStore } from './store.js';

// The plan's full list, uploaded once into the request's thread beside the plan message (which shows 5 IDs a
// class). Written to a temporary file a page at a time: a plan may list 200,000 scorecards.

const PAGE = 5000;

export async function uploadPlanCsv(deps: { store: BackfillStore; publisher: ThreadPublisher }, req: BackfillRequest): Promise<void> {
  const plan = req.plan;
  if (!plan || !req.threadTs || samplesShowAll(plan)) return;
  // Once per plan: a re-run of the plan job (or a second onPlanned) finds its upload in the audit log.
  const posted = (await deps.store.audit(req.id)).some((e) => e.action === 'plan_csv_posted' && e.planHash === plan.hash);
  if (posted) return;
  const folder = await mkdtemp(join(tmpdir(), 'scorecard-bot-plan-'));
  try {
    const path = join(folder, planCsvFilename(plan));
    const out = createWriteStream(path);
    const write = async (chunk: string): Promise<void> => {
      if (!out.write(chunk)) await once(out, 'drain');
    };
    await write(planCsvHeader());
    let after: string | null = null;
    for (;;) {
      const rows = await deps.store.itemsPage(req.id, after, PAGE);
      for (const r of rows) await write(planCsvLine(r));
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]?.scorecardId ?? null;
    }
    out.end();
    await once(out, 'finish');
    await deps.publisher.uploadFile(req.channel, req.threadTs, { filename: planCsvFilename(plan), title: planCsvTitle(plan), content: { path } });
    await deps.store.appendAudit({ requestId: req.id, actor: 'bot', action: 'plan_csv_posted', channel: req.channel, planHash: plan.hash });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
