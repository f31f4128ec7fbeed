-- 001-main.sql: the query registry shared by the Orleans ADO.NET providers.
--
-- Orleans issues no SQL of its own: at start-up every ADO.NET provider reads
-- "SELECT QueryKey, QueryText FROM OrleansQuery" and afterwards only runs the texts it
-- found there, binding parameters by name (@DeploymentId, @GrainIdHash, ...) and reading
-- result columns by name. The later files register their texts in this table.
--
-- Every file in this folder is idempotent and may be re-applied at any time, also while
-- silos are running: tables and indexes are created only when missing, functions are
-- replaced, and query texts are upserted, so re-applying a newer file upgrades them.
-- Apply each file in one transaction (psql --single-transaction); the lock below then
-- serialises concurrent appliers (several silos starting together, a DBA, ...).

-- Advisory lock key 0x43414C4C45565453 ("CALLEVTS"); the silo holds the same key while it
-- applies these files (CallEvents.PostgreSql.PostgresSchema.AdvisoryLockKey).
DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(4846238564491875411); END $lock$;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,

    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);
