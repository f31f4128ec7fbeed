-- 002-clustering.sql: cluster membership (Orleans.Clustering.AdoNet).
--
-- One version row per cluster (DeploymentId = ClusterOptions.ClusterId) acts as the
-- membership table's etag: every change to a silo row must name the version it read, and
-- moves the version on by one. A write that names a stale version changes nothing and
-- reports 0, which makes Orleans re-read the table and try again.
-- Requires 001-main.sql.

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(4846238564491875411); END $lock$;

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port and generation).
-- Status holds Orleans.Runtime.SiloStatus: 3 = Active, 6 = Dead.
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address      varchar(45)  NOT NULL,
    Port         integer      NOT NULL,
    Generation   integer      NOT NULL,
    SiloName     varchar(150) NOT NULL,
    HostName     varchar(150) NOT NULL,
    Status       integer      NOT NULL,
    ProxyPort    integer      NULL,
    SuspectTimes text         NULL,
    StartTime    timestamptz  NOT NULL,
    IAmAliveTime timestamptz  NOT NULL,

    CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_MembershipTable_MembershipVersionTable_DeploymentId
        FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Registers a silo: takes the expected table version and adds the silo's row, both or neither.
-- Returns 1 when the row was added, 0 when the version was stale or the row already existed.
CREATE OR REPLACE FUNCTION callevents_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    -- Claiming the version row first also serialises concurrent membership writers.
    UPDATE OrleansMembershipVersionTable
       SET Version = Version + 1,
           Timestamp = now()
     WHERE DeploymentId = p_deployment_id
       AND Version = p_version;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
         p_start_time, p_i_am_alive_time);
    RETURN 1;
EXCEPTION
    -- The silo row exists already: leaving through the handler also undoes the version bump.
    WHEN unique_violation THEN
        RETURN 0;
END
$fn$;

-- Updates a silo's status, suspicions and liveness time under the expected table version.
-- Returns 1 when both the version and the row were updated, 0 otherwise (nothing changed).
CREATE OR REPLACE FUNCTION callevents_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    UPDATE OrleansMembershipVersionTable
       SET Version = Version + 1,
           Timestamp = now()
     WHERE DeploymentId = p_deployment_id
       AND Version = p_version;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE OrleansMembershipTable
       SET Status = p_status,
           SuspectTimes = p_suspect_times,
           IAmAliveTime = p_i_am_alive_time
     WHERE DeploymentId = p_deployment_id
       AND Address = p_address
       AND Port = p_port
       AND Generation = p_generation;
    IF NOT FOUND THEN
        -- Unknown silo: raise so that the handler rolls the version bump back.
        RAISE EXCEPTION 'no membership row for %:%@%', p_address, p_port, p_generation
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN 1;
EXCEPTION
    WHEN no_data_found THEN
        RETURN 0;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'InsertMembershipVersionKey', $q$
    WITH created AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer AS "Created" FROM created;
$q$
),
(
    'InsertMembershipKey', $q$
    SELECT callevents_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS "Inserted";
$q$
),
(
    'UpdateMembershipKey', $q$
    SELECT callevents_membership_update(
        @DeploymentId, @Address, @Port, @Generation,
        @Status, @SuspectTimes, @IAmAliveTime, @Version) AS "Updated";
$q$
),
(
    -- Liveness heartbeat: deliberately does not move the table version.
    'UpdateIAmAlivetimeKey', $q$
    UPDATE OrleansMembershipTable
       SET IAmAliveTime = @IAmAliveTime
     WHERE DeploymentId = @DeploymentId
       AND Address = @Address
       AND Port = @Port
       AND Generation = @Generation;
$q$
),
(
    -- The version row is always returned (outer join), with the silo's columns when it exists.
    'MembershipReadRowKey', $q$
    SELECT v.DeploymentId AS "DeploymentId",
           m.Address      AS "Address",
           m.Port         AS "Port",
           m.Generation   AS "Generation",
           m.SiloName     AS "SiloName",
           m.HostName     AS "HostName",
           m.Status       AS "Status",
           m.ProxyPort    AS "ProxyPort",
           m.SuspectTimes AS "SuspectTimes",
           m.StartTime    AS "StartTime",
           m.IAmAliveTime AS "IAmAliveTime",
           v.Version      AS "Version"
      FROM OrleansMembershipVersionTable v
      LEFT JOIN OrleansMembershipTable m
             ON m.DeploymentId = v.DeploymentId
            AND m.Address = @Address
            AND m.Port = @Port
            AND m.Generation = @Generation
     WHERE v.DeploymentId = @DeploymentId;
$q$
),
(
    'MembershipReadAllKey', $q$
    SELECT v.DeploymentId AS "DeploymentId",
           m.Address      AS "Address",
           m.Port         AS "Port",
           m.Generation   AS "Generation",
           m.SiloName     AS "SiloName",
           m.HostName     AS "HostName",
           m.Status       AS "Status",
           m.ProxyPort    AS "ProxyPort",
           m.SuspectTimes AS "SuspectTimes",
           m.StartTime    AS "StartTime",
           m.IAmAliveTime AS "IAmAliveTime",
           v.Version      AS "Version"
      FROM OrleansMembershipVersionTable v
      LEFT JOIN OrleansMembershipTable m
             ON m.DeploymentId = v.DeploymentId
     WHERE v.DeploymentId = @DeploymentId;
$q$
),
(
    -- Gateways of silos in the requested status (Orleans asks for Active) that accept clients.
    'GatewaysQueryKey', $q$
    SELECT Address   AS "Address",
           ProxyPort AS "ProxyPort",
           Generation AS "Generation"
      FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND Status = @Status
       AND ProxyPort > 0;
$q$
),
(
    'DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$
),
(
    -- Removes rows of silos that are not Active (3) and have not reported alive since
    -- @IAmAliveTime. Like the heartbeat it leaves the table version alone.
    'CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND IAmAliveTime < @IAmAliveTime
       AND Status <> 3;
$q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
