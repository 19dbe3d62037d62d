import type { MigrationBuilder } from 'node-pg-migrate';

// Makes the backfill audit log tamper-evident: every row carries prev_hash (the hash of the row before it, or the
// genesis value) and hash = SHA-256(prev_hash || canonical text of the row). Editing a row breaks its own hash;
// removing one breaks the next row's prev_hash. `scorecard-bot backfill audit verify` recomputes the chain.
//
// The canonical text and the hash live in ONE database function, backfill_audit_hash(), called by the insert
// trigger and by the verification alike, so the two can never compute it differently. Canonical text:
//   jsonb_build_array(id, request_id, at as 'YYYY-MM-DDTHH:MI:SS.ffffffZ' (UTC), actor, action, channel, plan_hash, detail)::text
// jsonb's text form is deterministic (keys ordered, no whitespace choices), independent of session settings;
// `at` is spelled out in UTC because timestamptz's own text form follows the session's TimeZone and DateStyle.
//
// The chain is only as good as its order: the trigger takes a transaction-scoped advisory lock, then draws the id
// and reads the newest row, so ids increase in chain order even when inserts race (the lock is held to commit,
// and READ COMMITTED gives each statement in the trigger a fresh snapshot that sees the previous holder's row).
// id and at are set by the trigger (not by column defaults, evaluated before it and outside the lock): nobody
// inserting can choose them, so a row cannot be backdated or slotted between two others.

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
CREATE FUNCTION scorecard_bot.backfill_audit_genesis() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT repeat('0', 64) $$;

CREATE FUNCTION scorecard_bot.backfill_audit_hash(
  prev text, row_id bigint, request text, at_time timestamptz, who text, what text, chan text, plan text, info jsonb
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT encode(sha256(convert_to(
      prev || jsonb_build_array(row_id, request, to_char(at_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                who, what, chan, plan, info)::text,
      'UTF8')), 'hex')
  $$;

ALTER TABLE scorecard_bot.backfill_audit ADD COLUMN prev_hash text, ADD COLUMN hash text;

-- Chain the rows already there, in id order. The table is locked by the ALTER above until this migration
-- commits, so nothing is inserted meanwhile; the append-only trigger is lifted for these UPDATEs only.
ALTER TABLE scorecard_bot.backfill_audit DISABLE TRIGGER backfill_audit_no_update_delete;
DO $$
DECLARE
  r record;
  prev text := scorecard_bot.backfill_audit_genesis();
BEGIN
  FOR r IN SELECT * FROM scorecard_bot.backfill_audit ORDER BY id LOOP
    UPDATE scorecard_bot.backfill_audit
       SET prev_hash = prev,
           hash = scorecard_bot.backfill_audit_hash(prev, r.id, r.request_id, r.at, r.actor, r.action, r.channel, r.plan_hash, r.detail)
     WHERE id = r.id
    RETURNING hash INTO prev;
  END LOOP;
END $$;
ALTER TABLE scorecard_bot.backfill_audit ENABLE TRIGGER backfill_audit_no_update_delete;
ALTER TABLE scorecard_bot.backfill_audit ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;

-- The trigger draws the id (see above); the column default would spend a sequence value per row for nothing.
ALTER TABLE scorecard_bot.backfill_audit ALTER COLUMN id DROP DEFAULT;

CREATE FUNCTION scorecard_bot.backfill_audit_chain() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- 8315723407683774836 is 'sgbaudit' in ASCII: this lock's key and nothing else's. Held until commit.
  PERFORM pg_advisory_xact_lock(8315723407683774836);
  NEW.id := nextval('scorecard_bot.backfill_audit_id_seq');
  NEW.at := now();
  NEW.prev_hash := coalesce((SELECT a.hash FROM scorecard_bot.backfill_audit a ORDER BY a.id DESC LIMIT 1),
                            scorecard_bot.backfill_audit_genesis());
  NEW.hash := scorecard_bot.backfill_audit_hash(NEW.prev_hash, NEW.id, NEW.request_id, NEW.at, NEW.actor, NEW.action,
                                                NEW.channel, NEW.plan_hash, NEW.detail);
  RETURN NEW;
END $$;
CREATE TRIGGER backfill_audit_chain BEFORE INSERT ON scorecard_bot.backfill_audit
  FOR EACH ROW EXECUTE FUNCTION scorecard_bot.backfill_audit_chain();
`);
}

export const down = false;
