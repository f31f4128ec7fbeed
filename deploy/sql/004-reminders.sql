-- 004-reminders.sql: durable reminders (Orleans.Reminders.AdoNet).
--
-- One row per (service, grain, reminder name). GrainHash is the grain's uniform hash stored
-- as a signed integer; each silo reads the rows of its own hash range of the ring. Version
-- is the reminder's etag: an upsert moves it on, a delete must name the current one.
-- Requires 001-main.sql.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(4846238564491875411); END $lock$;

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150) NOT NULL,
    GrainId      text         NOT NULL,
    ReminderName text         NOT NULL,
    StartTime    timestamptz  NOT NULL,
    Period       bigint       NOT NULL,
    GrainHash    integer      NOT NULL,
    Version      integer      NOT NULL,

    CONSTRAINT PK_RemindersTable_ServiceId_GrainId_ReminderName PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Range reads (ReadRangeRows1Key/2Key) filter by service and hash.
CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_grainhash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    -- Period arrives in milliseconds (an integer, or a bigint for periods over ~24 days).
    'UpsertReminderRowKey', $q$
    INSERT INTO OrleansRemindersTable AS r
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
       SET StartTime = EXCLUDED.StartTime,
           Period = EXCLUDED.Period,
           GrainHash = EXCLUDED.GrainHash,
           Version = r.Version + 1
    RETURNING r.Version AS "Version";
$q$
),
(
    'ReadReminderRowsKey', $q$
    SELECT GrainId      AS "GrainId",
           ReminderName AS "ReminderName",
           StartTime    AS "StartTime",
           Period       AS "Period",
           Version      AS "Version"
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId
       AND GrainId = @GrainId;
$q$
),
(
    'ReadReminderRowKey', $q$
    SELECT GrainId      AS "GrainId",
           ReminderName AS "ReminderName",
           StartTime    AS "StartTime",
           Period       AS "Period",
           Version      AS "Version"
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId
       AND GrainId = @GrainId
       AND ReminderName = @ReminderName;
$q$
),
(
    -- Hash range (@BeginHash, @EndHash] when it does not wrap around (Begin < End as signed ints).
    'ReadRangeRows1Key', $q$
    SELECT GrainId      AS "GrainId",
           ReminderName AS "ReminderName",
           StartTime    AS "StartTime",
           Period       AS "Period",
           Version      AS "Version"
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId
       AND GrainHash > @BeginHash
       AND GrainHash <= @EndHash;
$q$
),
(
    -- Hash range that wraps around the end of the ring.
    'ReadRangeRows2Key', $q$
    SELECT GrainId      AS "GrainId",
           ReminderName AS "ReminderName",
           StartTime    AS "StartTime",
           Period       AS "Period",
           Version      AS "Version"
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId
       AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
$q$
),
(
    -- Returns 1 when the reminder existed with the given version and was removed, else 0.
    'DeleteReminderRowKey', $q$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
         WHERE ServiceId = @ServiceId
           AND GrainId = @GrainId
           AND ReminderName = @ReminderName
           AND Version = @Version
        RETURNING 1
    )
    SELECT count(*)::integer AS "Deleted" FROM deleted;
$q$
),
(
    'DeleteReminderRowsKey', $q$
    DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;
$q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
