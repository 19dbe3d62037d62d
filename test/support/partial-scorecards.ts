import pg from 'pg';
import { POSTGRES_CONTRACT_DDL } from '../../dev/db/contract-ddl.js';
import { uuidV7Prefix } from '../../src/gap/core/queries.js';

// Synthetic scorecards with a known state each (the ground truth is how each one was built, never the code under
// test): complete ones, partial ones of several kinds (criteria compared as sets, NULL matching NULL), missing ones,
// and excluded ones, plus in-flight ones relative to a given instant. Bulk-inserted into the contract tables.

/** What a scorecard was built as, and so what the report must call it. */
export type Kind =
  | 'complete' // historic has exactly director's criteria
  | 'half' // historic has 5 of the 10 criteria: partial
  | 'different' // historic has 10 rows, one criterion swapped for another: partial (same count, other set)
  | 'null_both' // a NULL criterion on both sides: present, NULL matches NULL
  | 'null_director_only' // director has a NULL criterion, historic has a real one instead: partial
  | 'superset' // historic has director's criteria and one more: present
  | 'duplicates' // historic has every criterion twice: present
  | 'missing'; // no historic row at all: missing (never partial)

export const EXPECTED: Record<Kind, 'present' | 'partial' | 'missing'> = {
  complete: 'present',
  half: 'partial',
  different: 'partial',
  null_both: 'present',
  null_director_only: 'partial',
  superset: 'present',
  duplicates: 'present',
  missing: 'missing',
};

export interface SyntheticScorecard {
  id: string;
  customer: string;
  createdAt: Date;
  submittedAt: Date | null;
  calibration: boolean;
  kind: Kind;
  director: (string | null)[];
  historic: (string | null)[];
}

const CRITERIA = 10;
const criterion = (k: number): string => `crit-${String(k).padStart(2, '0')}`;

/** A UUIDv7 minted at `at` (so the window query's range path decides it), unique by `n`. */
export function v7Id(at: Date, n: number): string {
  const tail = n.toString(16).padStart(15, '0');
  return `${uuidV7Prefix(at)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6, 15).padStart(12, '0')}`;
}

/** The kind of the i-th scorecard: 1 in 20 half, a few with a swapped criterion, one NULL on both sides, ... */
export function kindOf(i: number): Kind {
  if (i % 20 === 0) return 'half';
  if (i % 200 === 7) return 'different';
  if (i === 13) return 'null_both';
  if (i === 17) return 'null_director_only';
  if (i % 100 === 3) return 'superset';
  if (i % 100 === 5) return 'duplicates';
  if (i % 50 === 11) return 'missing';
  return 'complete';
}

function criteriaOf(kind: Kind): { director: (string | null)[]; historic: (string | null)[] } {
  const all = Array.from({ length: CRITERIA }, (_, k) => criterion(k + 1));
  switch (kind) {
    case 'complete':
      return { director: all, historic: all };
    case 'half':
      return { director: all, historic: all.slice(0, 5) };
    case 'different':
      return { director: all, historic: [...all.slice(0, 9), 'crit-other'] };
    case 'null_both':
      return { director: [...all.slice(0, 9), null], historic: [...all.slice(0, 9), null] };
    case 'null_director_only':
      return { director: [...all.slice(0, 9), null], historic: all };
    case 'superset':
      return { director: all, historic: [...all, 'crit-extra'] };
    case 'duplicates':
      return { director: all, historic: [...all, ...all] };
    case 'missing':
      return { director: all, historic: [] };
  }
}

export interface DatasetOptions {
  customer: string;
  submitted: number;
  unsubmitted: number;
  /** First day; scorecards are spread evenly over `days` days from it. */
  from: Date;
  days: number;
  /** Index offset, so two customers' IDs never collide. */
  idBase: number;
}

/** Scorecards spread over the days, each submitted 2 hours after it was created (the submitted ones). */
export function dataset(o: DatasetOptions): SyntheticScorecard[] {
  const out: SyntheticScorecard[] = [];
  const n = o.submitted + o.unsubmitted;
  const spanMs = o.days * 86_400_000 - 3 * 3_600_000; // every submit time inside the last day too
  for (let i = 0; i < n; i++) {
    const submitted = i < o.submitted;
    const j = submitted ? i : i - o.submitted; // the kind pattern restarts per population
    const createdAt = new Date(o.from.getTime() + Math.floor((i * spanMs) / n));
    const kind = kindOf(j);
    out.push({
      id: v7Id(createdAt, o.idBase + i),
      customer: o.customer,
      createdAt,
      submittedAt: submitted ? new Date(createdAt.getTime() + 2 * 3_600_000) : null,
      calibration: false,
      kind,
      ...criteriaOf(kind),
    });
  }
  return out;
}

/** The same scorecard shape, for hand-placed cases (in flight, probe path, excluded). */
export function scorecard(p: { id: string; customer: string; createdAt: Date; submittedAt?: Date | null; calibration?: boolean; kind: Kind }): SyntheticScorecard {
  return { submittedAt: null, calibration: false, ...p, ...criteriaOf(p.kind) };
}

export async function createContract(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(POSTGRES_CONTRACT_DDL);
  } finally {
    await c.end();
  }
}

/** Inserts scorecards, their scores, their historic rows and their conversations, in a few bulk statements. */
export async function insertScorecards(url: string, profile: string, cards: SyntheticScorecard[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO director.scorecards (customer, profile, resource_id, conversation_id, template_id, calibrated_scorecard_id, created_at, submitted_at, updated_at)
       SELECT x.customer, $1, x.id, 'conv-' || x.id, 'tmpl', x.cal, x.created, x.submitted, coalesce(x.submitted, x.created)
       FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[]) AS x(customer, id, cal, created, submitted)`,
      [profile, cards.map((s) => s.customer), cards.map((s) => s.id), cards.map((s) => (s.calibration ? 'calibrated-' + s.id : null)), cards.map((s) => s.createdAt), cards.map((s) => s.submittedAt)],
    );
    await c.query(
      `INSERT INTO app.chats (customer_id, profile_id, conversation_id, started_at, ended_at)
       SELECT x.customer, $1, 'conv-' || x.id, x.created - interval '10 minutes', x.created - interval '1 minute'
       FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS x(customer, id, created)`,
      [profile, cards.map((s) => s.customer), cards.map((s) => s.id), cards.map((s) => s.createdAt)],
    );
    const scores = cards.flatMap((s) => s.director.map((criterion, k) => ({ s, criterion, k })));
    await c.query(
      `INSERT INTO director.scores (customer, profile, resource_id, scorecard_id, criterion_id, numeric_value, created_at)
       SELECT x.customer, $1, x.id || '-s' || x.k, x.id, x.criterion, 1, x.created
       FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[]) AS x(customer, id, k, criterion, created)`,
      [profile, scores.map((r) => r.s.customer), scores.map((r) => r.s.id), scores.map((r) => r.k), scores.map((r) => r.criterion), scores.map((r) => r.s.createdAt)],
    );
    const hist = cards.flatMap((s) => s.historic.map((criterion) => ({ s, criterion })));
    await c.query(
      `INSERT INTO historic.scorecard_scores (customer_id, profile_id, scorecard_id, criterion_id, conversation_id, template_id, score, scorecard_created_at, scorecard_submitted_at)
       SELECT x.customer, $1, x.id, x.criterion, 'conv-' || x.id, 'tmpl', 1, x.created, x.submitted
       FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[]) AS x(customer, id, criterion, created, submitted)`,
      [profile, hist.map((r) => r.s.customer), hist.map((r) => r.s.id), hist.map((r) => r.criterion), hist.map((r) => r.s.createdAt), hist.map((r) => r.s.submittedAt)],
    );
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}
