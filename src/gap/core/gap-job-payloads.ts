import { z } from 'zod';

// Job payloads are parsed on both sides: when enqueued (so a bug cannot queue garbage) and when processed
// (so a job written by an older version fails loudly instead of half-working).

export const QUEUES = { window: 'gap-window', report: 'gap-report', all: 'gap-all' } as const;

const windowSchema = z.object({ from: z.string().datetime(), to: z.string().datetime() });

export const gapPlanSchema = z.object({
  customer: z.string().min(1),
  profile: z.string().min(1),
  period: z.object({ from: z.string().datetime(), to: z.string().datetime(), label: z.string(), grain: z.enum(['day', 'hour']) }),
  scanned: z.object({ from: z.string().datetime(), to: z.string().datetime() }),
  windows: z.array(windowSchema),
  /** One settle rule per run, decided when it is planned: every window, retry and look-up uses the same cutoff. */
  settle: z.object({ plannedAt: z.string().datetime(), minutes: z.number().int().nonnegative(), cutoff: z.string().datetime() }),
  /** A probe found no scorecard in the scanned range: no windows, and the report says so without another query. */
  empty: z.boolean().optional(),
});

export const runMetaSchema = z.object({
  runId: z.string().min(1),
  /** 'all' or the customer name: the subject of the run-ownership claim together with the period. */
  subject: z.string().min(1),
  /** How the root message names the run: 'rentokil', or 'all 4 customers'. */
  display: z.string().min(1),
  channel: z.string().min(1),
  rootTs: z.string().min(1),
  /** Where the run's replies go when its root message is itself a reply (a Full report asked for in an alert's
   *  thread); absent: the root message's own thread. */
  threadTs: z.string().min(1).optional(),
  requestedBy: z.string().min(1),
  periodLabel: z.string(),
  totalWindows: z.number().int().nonnegative(),
  startedAt: z.number(),
});
export type RunMeta = z.infer<typeof runMetaSchema>;

/** The thread a run posts its results in: its root message's, or the one its root message was posted into. */
export const runThread = (meta: Pick<RunMeta, 'rootTs' | 'threadTs'>): string => meta.threadTs ?? meta.rootTs;

export const windowJobSchema = z.object({ meta: runMetaSchema, plan: gapPlanSchema, window: windowSchema });
export type WindowJob = z.infer<typeof windowJobSchema>;

/** `standalone` is false when the report is one customer of an `all` run (the parent posts the summary). */
export const reportJobSchema = z.object({ meta: runMetaSchema, plan: gapPlanSchema, standalone: z.boolean() });
export type ReportJob = z.infer<typeof reportJobSchema>;

export const allJobSchema = z.object({ meta: runMetaSchema, customers: z.array(z.string()) });
export type AllJob = z.infer<typeof allJobSchema>;
