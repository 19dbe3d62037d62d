import { conversationUuid, md5, uuid7 } from './ids.js';
import type { Customer } from './incident-profile.js';
import { INCIDENT_PROFILE } from './incident-profile.js';

// Individually named scorecards: the ones the report names (the 7 Dec-31 scorecards, the example, first missing per
// customer, nclh's July one-offs) and the /scorecard-check cases. They are planted as they are at every scale, and
// are counted inside the profile's numbers (the plan subtracts them from the bulk at scale 1).

export type Population = 'submitted' | 'unsubmitted';
export type ScorecardClass = 'in_scope' | 'calibration' | 'non_original';
export type CheckCase =
  | 'missingHistoric'
  | 'healthy'
  | 'calibration'
  | 'nonOriginal'
  | 'noScores'
  | 'conversationMissing'
  | 'partialHistoric'
  | 'missingClickhouse';

export interface NamedScorecard {
  name: string;
  role: 'example' | 'first_missing' | 'submit_date_correlation' | 'one_off' | 'check';
  checkCase: CheckCase | null;
  customer: Customer;
  population: Population;
  cls: ScorecardClass;
  scorecardId: string;
  templateTitle: string;
  scorecardType: number | null;
  calibratedScorecardId: string | null;
  conversationId: string;
  /** false: the conversation is absent from app.chats. */
  conversationExists: boolean;
  conversationStartedMs: number;
  conversationEndedMs: number;
  createdMs: number;
  submittedMs: number | null;
  scoreCount: number;
  /** historic rows written (0: absent from historic; < scoreCount: partial). */
  historicCount: number;
  inClickhouse: boolean;
}

export const EXAMPLE_SCORECARD_ID = '019bcaf4-4b65-7838-b07d-20640fe7628e';

interface Spec {
  name: string;
  role: NamedScorecard['role'];
  checkCase?: CheckCase;
  customer: Customer;
  created: string;
  submitted?: string;
  scores: number;
  historic?: number; // default 0 (missing) for role != check
  cls?: ScorecardClass;
  type?: number | null;
  inClickhouse?: boolean;
  conversation?: { started: string; ended: string } | 'absent';
  template?: string;
}

const DEC31: [string, string, number][] = [
  ['15:30:41.512', '2026-01-23T16:12:09.338', 21],
  ['15:34:02.190', '2026-01-27T14:51:27.004', 17],
  ['15:48:55.731', '2026-01-14T19:20:44.861', 33],
  ['17:46:18.044', '2026-01-28T21:05:12.417', 12],
  ['19:02:37.905', '2026-01-14T22:48:31.150', 26],
  ['21:04:09.623', '2026-01-27T17:36:58.772', 35],
  ['22:00:26.318', '2026-01-21T15:09:40.093', 19],
];

const GAP = (customer: Customer, created: string, submitted?: string): Spec => ({
  name: `clickhouse-gap-${customer}-${created}`,
  role: 'check',
  checkCase: 'missingClickhouse',
  customer,
  created,
  ...(submitted === undefined ? {} : { submitted }),
  scores: submitted === undefined ? 3 : 14,
  historic: submitted === undefined ? 3 : 14,
  inClickhouse: false,
});

const SPECS: Spec[] = [
  ...DEC31.map(([time, submitted, scores], k): Spec => ({
    name: `rentokil-dec31-${k + 1}`,
    role: 'submit_date_correlation',
    customer: 'rentokil',
    created: `2025-12-31T${time}`,
    submitted,
    scores,
  })),
  {
    name: 'example',
    role: 'example',
    checkCase: 'missingHistoric',
    customer: 'rentokil',
    created: '2026-01-17T07:56:06.373', // the ms in the id's UUIDv7 prefix
    submitted: '2026-01-23T18:42:17.561',
    scores: 35,
    template: 'RTX Customer Care Scorecard 2026',
    conversation: { started: '2026-01-16T22:31:05.000', ended: '2026-01-16T22:58:43.000' },
  },
  { name: 'first-missing-spirit', role: 'first_missing', customer: 'spirit', created: '2026-01-08T22:37:19.204', submitted: '2026-01-09T15:02:44.870', scores: 24 },
  { name: 'first-missing-guitar-center', role: 'first_missing', customer: 'guitar-center', created: '2026-01-10T07:39:51.377', submitted: '2026-01-12T16:25:03.118', scores: 16 },
  { name: 'first-missing-nclh', role: 'first_missing', customer: 'nclh', created: '2026-01-11T17:15:08.942', submitted: '2026-01-12T14:47:36.205', scores: 28 },
  { name: 'one-off-nclh-1', role: 'one_off', customer: 'nclh', created: '2025-07-03T14:22:47.611', submitted: '2025-07-03T19:05:12.330', scores: 22 },
  { name: 'one-off-nclh-2', role: 'one_off', customer: 'nclh', created: '2025-07-09T19:41:03.058', submitted: '2025-07-10T13:58:21.774', scores: 22 },
  // /scorecard-check cases: after Feb 3 (the report's verification days stay at 0%), or Jan 29-31 (after the fix)
  { name: 'check-healthy', role: 'check', checkCase: 'healthy', customer: 'rentokil', created: '2026-02-09T15:12:33.402', submitted: '2026-02-10T16:40:11.907', scores: 18, historic: 18 },
  { name: 'check-calibration', role: 'check', checkCase: 'calibration', customer: 'rentokil', cls: 'calibration', created: '2026-02-11T17:03:52.116', submitted: '2026-02-11T18:22:09.551', scores: 18 },
  { name: 'check-non-original', role: 'check', checkCase: 'nonOriginal', customer: 'rentokil', cls: 'non_original', type: 1, created: '2026-02-12T19:45:10.778', submitted: '2026-02-12T20:02:47.093', scores: 18 },
  { name: 'check-no-scores', role: 'check', checkCase: 'noScores', customer: 'guitar-center', created: '2026-02-17T06:12:40.250', scores: 0 },
  { name: 'check-conversation-missing', role: 'check', checkCase: 'conversationMissing', customer: 'nclh', created: '2026-02-19T10:27:31.640', scores: 3, conversation: 'absent' },
  { name: 'check-partial-historic', role: 'check', checkCase: 'partialHistoric', customer: 'guitar-center', created: '2026-02-16T18:51:07.330', submitted: '2026-02-17T15:26:44.012', scores: 24, historic: 11 },
  // After the fix: healthy scorecards inside the bad window would blur its rate at small scales.
  GAP('rentokil', '2026-01-30T14:05:37.228', '2026-01-30T16:45:02.719'),
  GAP('rentokil', '2026-01-30T20:41:19.774', '2026-01-30T22:13:50.381'),
  GAP('spirit', '2026-01-30T17:58:44.502', '2026-01-31T15:20:09.946'),
  GAP('rentokil', '2026-02-05T03:07:12.481'),
  GAP('spirit', '2026-02-11T14:09:27.311'),
  GAP('spirit', '2026-02-11T14:26:50.184'),
  GAP('rentokil', '2026-02-18T15:22:40.905'),
  GAP('rentokil', '2026-02-18T15:31:56.066'),
  GAP('rentokil', '2026-02-18T15:48:03.617'),
];

const ms = (iso: string): number => Date.parse(`${iso}Z`);

function build(spec: Spec): NamedScorecard {
  const h = md5(`named|${spec.name}`);
  const createdMs = ms(spec.created);
  const conversation = spec.conversation;
  const endedMs = conversation && conversation !== 'absent' ? ms(conversation.ended) : createdMs - 4 * 60_000 - (parseInt(h.slice(0, 3), 16) % 600) * 1000;
  const startedMs = conversation && conversation !== 'absent' ? ms(conversation.started) : endedMs - 11 * 60_000;
  const cls = spec.cls ?? 'in_scope';
  return {
    name: spec.name,
    role: spec.role,
    checkCase: spec.checkCase ?? null,
    customer: spec.customer,
    population: spec.submitted === undefined ? 'unsubmitted' : 'submitted',
    cls,
    scorecardId: spec.name === 'example' ? EXAMPLE_SCORECARD_ID : uuid7(createdMs, h),
    templateTitle: spec.template ?? INCIDENT_PROFILE[spec.customer].templates[0]?.[0] ?? 'Default',
    scorecardType: spec.type ?? (parseInt(h.charAt(0), 16) % 2 === 0 ? null : 0), // originals mix NULL and 0
    calibratedScorecardId: null,
    conversationId: conversationUuid(h),
    conversationExists: conversation !== 'absent',
    conversationStartedMs: startedMs,
    conversationEndedMs: endedMs,
    createdMs,
    submittedMs: spec.submitted === undefined ? null : ms(spec.submitted),
    scoreCount: spec.scores,
    historicCount: cls === 'in_scope' ? (spec.historic ?? 0) : 0,
    inClickhouse: spec.inClickhouse ?? true,
  };
}

/** All named scorecards; the calibration check case calibrates the healthy one (same conversation). */
export function namedScorecards(): NamedScorecard[] {
  const all = SPECS.map(build);
  const healthy = all.find((n) => n.checkCase === 'healthy');
  const calibration = all.find((n) => n.checkCase === 'calibration');
  if (healthy && calibration) {
    calibration.calibratedScorecardId = healthy.scorecardId;
    calibration.conversationId = healthy.conversationId;
    calibration.scorecardType = null;
  }
  return all;
}

export const isNamedMissing = (n: NamedScorecard): boolean => n.cls === 'in_scope' && n.historicCount === 0;
