-- 005-journal.sql: the event journal of the call-event grains (calls, workflow executions, follow-ups).
--
-- Every grain owns one stream of records numbered 1, 2, 3, ...; a record is inserted once and never rewritten.
-- The primary key (stream, seq) is what makes a second activation of the same grain (a brief split brain after a
-- silo failure) unable to overwrite: its insert conflicts, and that write alone fails. One silo's writes of many
-- grains go out together as one statement (group commit), with, in the same transaction:
--   callevents_entities  the searchable summary of each call and workflow execution (what GET /calls lists);
--   callevents_due       when a grain must be woken (stall deadlines, emissions to republish, follow-up actions),
--                        claimed by a few sweepers instead of a reminder per grain.
-- Journal tables are per database: run one service per database (or per schema, with Search Path).

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(4846238564491875411); END $lock$;

CREATE TABLE IF NOT EXISTS callevents_schema_version
(
    component  text        NOT NULL,
    version    integer     NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT callevents_schema_version_pk PRIMARY KEY (component)
);

CREATE TABLE IF NOT EXISTS callevents_journal
(
    stream  text    NOT NULL,
    seq     integer NOT NULL,
    -- the record, serialized by the grain (normalized fields, emissions, confirmations, decisions, ...)
    data    bytea   NOT NULL,
    -- a delivery's body exactly as received; NULL for records that carry none (or past an entity's caps)
    payload bytea,

    CONSTRAINT callevents_journal_pk PRIMARY KEY (stream, seq)
);

CREATE TABLE IF NOT EXISTS callevents_entities
(
    stream            text        NOT NULL,
    kind              text        NOT NULL,
    source            text        NOT NULL,
    entity_id         text        NOT NULL,
    status            text        NOT NULL,
    outcome           text,
    stalled           text,
    anomalies         text[]      NOT NULL DEFAULT '{}',
    organization_id   text,
    first_received_at timestamptz NOT NULL,
    last_received_at  timestamptz NOT NULL,
    event_count       integer     NOT NULL,
    finished          boolean     NOT NULL,

    CONSTRAINT callevents_entities_pk PRIMARY KEY (stream)
);

-- A row is updated with every event of its entity, but the indexed columns below rarely change after the first:
-- room on the page keeps those updates HOT (no index insert).
ALTER TABLE callevents_entities SET (fillfactor = 70);

-- Lists are newest first by first arrival, which never changes, so keyset pages neither skip nor repeat an entity
-- while new ones arrive.
CREATE INDEX IF NOT EXISTS callevents_entities_recent
    ON callevents_entities (kind, first_received_at DESC, stream DESC);
CREATE INDEX IF NOT EXISTS callevents_entities_tenant_recent
    ON callevents_entities (kind, organization_id, first_received_at DESC, stream DESC);
CREATE INDEX IF NOT EXISTS callevents_entities_stalled
    ON callevents_entities (kind, first_received_at DESC, stream DESC) WHERE stalled IS NOT NULL;
CREATE INDEX IF NOT EXISTS callevents_entities_finished
    ON callevents_entities (first_received_at) WHERE finished;

CREATE TABLE IF NOT EXISTS callevents_due
(
    stream text        NOT NULL,
    due_at timestamptz NOT NULL,

    CONSTRAINT callevents_due_pk PRIMARY KEY (stream)
);

CREATE INDEX IF NOT EXISTS callevents_due_at ON callevents_due (due_at);

INSERT INTO callevents_schema_version (component, version) VALUES ('journal', 1)
ON CONFLICT (component) DO UPDATE
    SET version = GREATEST(callevents_schema_version.version, excluded.version), applied_at = now();
