// The production schema the bot may assume (issue #2, "contract"). In production these tables belong to another
// service; the bot creates them only for dev, demo and tests, through `scorecard-bot db:init`.

export const POSTGRES_CONTRACT_DDL = `
CREATE SCHEMA IF NOT EXISTS director;
CREATE SCHEMA IF NOT EXISTS historic;
CREATE SCHEMA IF NOT EXISTS app;

CREATE TABLE IF NOT EXISTS director.scorecards (
  customer text NOT NULL,
  profile text NOT NULL,
  resource_id text NOT NULL,
  conversation_id text,
  template_id text,
  calibrated_scorecard_id text NULL,
  scorecard_type integer NULL,
  created_at timestamptz NOT NULL,
  submitted_at timestamptz NULL,
  updated_at timestamptz,
  PRIMARY KEY (customer, profile, resource_id)
);
CREATE INDEX IF NOT EXISTS scorecards_customer_profile_created_at_idx
  ON director.scorecards (customer, profile, created_at);

CREATE TABLE IF NOT EXISTS director.scores (
  customer text NOT NULL,
  profile text NOT NULL,
  resource_id text NOT NULL,
  scorecard_id text NOT NULL,
  criterion_id text,
  numeric_value double precision NULL,
  created_at timestamptz,
  PRIMARY KEY (customer, profile, resource_id)
);
CREATE INDEX IF NOT EXISTS scores_customer_profile_scorecard_id_idx
  ON director.scores (customer, profile, scorecard_id);

CREATE TABLE IF NOT EXISTS director.scorecard_templates (
  customer text NOT NULL,
  profile text NOT NULL,
  resource_id text NOT NULL,
  title text,
  PRIMARY KEY (customer, profile, resource_id)
);

CREATE TABLE IF NOT EXISTS historic.scorecard_scores (
  customer_id text,
  profile_id text,
  scorecard_id text,
  criterion_id text,
  conversation_id text,
  template_id text,
  score double precision NULL,
  scorecard_created_at timestamptz,
  scorecard_submitted_at timestamptz NULL,
  written_at timestamptz DEFAULT now()
);
CREATE INDEX IF NOT EXISTS scorecard_scores_customer_profile_scorecard_idx
  ON historic.scorecard_scores (customer_id, profile_id, scorecard_id);

CREATE TABLE IF NOT EXISTS app.chats (
  customer_id text NOT NULL,
  profile_id text NOT NULL,
  conversation_id text NOT NULL,
  started_at timestamptz,
  ended_at timestamptz NULL,
  PRIMARY KEY (customer_id, profile_id, conversation_id)
);
`;

/** ClickHouse identifiers come from validated config (see config/schema.ts), never from user input. */
export function clickhouseContractDdl(database: string, table: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    `CREATE TABLE IF NOT EXISTS ${database}.${table} (
      customer_id String,
      profile_id String,
      scorecard_id String,
      criterion_id String,
      score Nullable(Float64),
      scorecard_created_at DateTime64(3, 'UTC'),
      scorecard_submitted_at Nullable(DateTime64(3, 'UTC')),
      updated_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree(updated_at)
    ORDER BY (customer_id, profile_id, scorecard_id, criterion_id)`,
  ];
}
