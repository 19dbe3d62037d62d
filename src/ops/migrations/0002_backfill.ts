import type { MigrationBuilder } from 'node-pg-migrate';

// Backfill requests, their planned items, the job's checkpoints and an append-only audit log.
// Statuses and their transitions: src/backfill/status.ts (every transition is one conditional UPDATE).

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE TABLE scorecard_bot.backfill_requests (
  id text PRIMARY KEY,
  customer text NOT NULL,
  scope jsonb NOT NULL,
  requester text NOT NULL,
  channel text NOT NULL,
  thread_ts text,
  status text NOT NULL CHECK (status IN ('planning', 'pending', 'approved', 'denied', 'cancelled', 'expired',
                                         'running', 'done', 'done_with_remainder', 'failed')),
  plan_hash text,
  plan jsonb,
  writer_available boolean NOT NULL DEFAULT false,
  -- Fixed when the job first starts, so a resumed job cuts the same chunks even if the config changed meanwhile.
  chunk_size integer,
  decided_by text,
  cancelled_by text,
  result jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  decided_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX backfill_requests_customer_created_idx ON scorecard_bot.backfill_requests (customer, created_at DESC);

-- One row per scorecard the plan names. seq numbers the ones to write (0, 1, 2 ... in plan order) so a chunk is
-- a seq range; scorecards left alone (no scores, conversation missing) have no seq.
CREATE TABLE scorecard_bot.backfill_items (
  request_id text NOT NULL REFERENCES scorecard_bot.backfill_requests (id) ON DELETE CASCADE,
  scorecard_id text NOT NULL,
  reason text NOT NULL,
  seq integer,
  submitted boolean NOT NULL,
  scores integer NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (request_id, scorecard_id)
);
CREATE UNIQUE INDEX backfill_items_seq_idx ON scorecard_bot.backfill_items (request_id, seq) WHERE seq IS NOT NULL;

-- A chunk is checkpointed after its historic transaction committed and its ClickHouse rows were inserted.
CREATE TABLE scorecard_bot.backfill_checkpoints (
  request_id text NOT NULL REFERENCES scorecard_bot.backfill_requests (id) ON DELETE CASCADE,
  chunk integer NOT NULL,
  scorecards integer NOT NULL,
  historic_rows integer NOT NULL,
  clickhouse_rows integer NOT NULL,
  already_present integer NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, chunk)
);

CREATE TABLE scorecard_bot.backfill_audit (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  channel text,
  plan_hash text,
  detail jsonb
);
CREATE INDEX backfill_audit_request_idx ON scorecard_bot.backfill_audit (request_id, id);

CREATE FUNCTION scorecard_bot.backfill_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'scorecard_bot.backfill_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER backfill_audit_no_update_delete BEFORE UPDATE OR DELETE ON scorecard_bot.backfill_audit
  FOR EACH ROW EXECUTE FUNCTION scorecard_bot.backfill_audit_append_only();
CREATE TRIGGER backfill_audit_no_truncate BEFORE TRUNCATE ON scorecard_bot.backfill_audit
  FOR EACH STATEMENT EXECUTE FUNCTION scorecard_bot.backfill_audit_append_only();
`);
}

export const down = false;
