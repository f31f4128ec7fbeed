-- 003-persistence.sql: grain state (Orleans.Persistence.AdoNet).
--
-- A state row is identified by the service, the state's type string, and the grain key
-- (two 64-bit halves plus an optional string extension); the two hash columns only narrow
-- the index search. Version is the state's etag: writes, clears and deletes must name the
-- version they read. When the version returned to Orleans equals the one it sent (or is
-- missing), Orleans reports an InconsistentStateException instead of overwriting.
-- Requires 001-main.sql.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(4846238564491875411); END $lock$;

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString text         NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL,
    Version                integer      NULL
);

CREATE INDEX IF NOT EXISTS ix_orleansstorage ON OrleansStorage (GrainIdHash, GrainTypeHash);

-- A call's row is rewritten a few times within seconds. Half-empty pages let PostgreSQL put the new row
-- version on the same page (a HOT update: no index entry, less WAL, dead versions pruned in place) instead of
-- another page plus an index insert per write. Applies to pages written from now on; idempotent.
ALTER TABLE OrleansStorage SET (fillfactor = 50);

-- Writes a grain state and returns its new version.
--   p_expected_version NOT NULL: update the row holding exactly that version; returns
--     p_expected_version + 1, or p_expected_version unchanged when nothing matched.
--   p_expected_version NULL (never stored): insert version 1; returns 1, or NULL when a row
--     exists already.
CREATE OR REPLACE FUNCTION callevents_storage_write(
    p_grain_id_hash          integer,
    p_grain_id_n0            bigint,
    p_grain_id_n1            bigint,
    p_grain_type_hash        integer,
    p_grain_type             text,
    p_grain_id_extension     text,
    p_service_id             text,
    p_expected_version       integer,
    p_payload                bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    IF p_expected_version IS NOT NULL THEN
        UPDATE OrleansStorage
           SET PayloadBinary = p_payload,
               ModifiedOn = now(),
               Version = Version + 1
         WHERE GrainIdHash = p_grain_id_hash
           AND GrainTypeHash = p_grain_type_hash
           AND GrainIdN0 = p_grain_id_n0
           AND GrainIdN1 = p_grain_id_n1
           AND GrainTypeString = p_grain_type
           AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_extension
           AND ServiceId = p_service_id
           AND Version = p_expected_version;
        IF FOUND THEN
            RETURN p_expected_version + 1;
        END IF;
        RETURN p_expected_version;
    END IF;

    -- First write: the table has no unique key (the extension may be NULL), so inserters of
    -- the same grain are serialised by a transaction-scoped lock on the two hashes; the
    -- existence check below then sees any row a previous holder committed.
    PERFORM pg_advisory_xact_lock(p_grain_type_hash, p_grain_id_hash);

    INSERT INTO OrleansStorage
        (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString,
         ServiceId, PayloadBinary, ModifiedOn, Version)
    SELECT p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type, p_grain_id_extension,
           p_service_id, p_payload, now(), 1
     WHERE NOT EXISTS (
            SELECT 1
              FROM OrleansStorage
             WHERE GrainIdHash = p_grain_id_hash
               AND GrainTypeHash = p_grain_type_hash
               AND GrainIdN0 = p_grain_id_n0
               AND GrainIdN1 = p_grain_id_n1
               AND GrainTypeString = p_grain_type
               AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_extension
               AND ServiceId = p_service_id);
    IF FOUND THEN
        RETURN 1;
    END IF;
    RETURN NULL;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'WriteToStorageKey', $q$
    SELECT callevents_storage_write(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary) AS "NewGrainStateVersion";
$q$
),
(
    'ReadFromStorageKey', $q$
    SELECT PayloadBinary AS "PayloadBinary",
           ModifiedOn    AS "ModifiedOn",
           Version       AS "Version"
      FROM OrleansStorage
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
       AND ServiceId = @ServiceId;
$q$
),
(
    -- Keeps the row (and its version history) but drops the payload.
    'ClearStorageKey', $q$
    UPDATE OrleansStorage
       SET PayloadBinary = NULL,
           ModifiedOn = now(),
           Version = Version + 1
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
       AND ServiceId = @ServiceId
       AND Version = @GrainStateVersion
    RETURNING Version AS "NewGrainStateVersion";
$q$
),
(
    -- Used instead of ClearStorageKey when AdoNetGrainStorageOptions.DeleteStateOnClear is set.
    'DeleteStorageKey', $q$
    DELETE FROM OrleansStorage
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
       AND ServiceId = @ServiceId
       AND Version = @GrainStateVersion
    RETURNING Version + 1 AS "NewGrainStateVersion";
$q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
