-- FedSim's PostgreSQL schema, version 2: cluster membership (Microsoft.Orleans.Clustering.AdoNet).
--
-- The provider's contract: one version row per cluster (its DeploymentId is the ClusterId) that every membership change
-- must advance from the version the silo last read (optimistic concurrency over the whole table), and one row per silo
-- incarnation (address, port, generation). Inserts and updates answer one boolean: true when the row was written AND
-- the version advanced, atomically; heartbeats (UpdateIAmAlivetimeKey) touch only the silo's own time and never the
-- version. Status values are Orleans' SiloStatus (3 Active, 6 Dead). Timestamps arrive as UTC.

CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id varchar(150) NOT NULL PRIMARY KEY,
    version       integer      NOT NULL DEFAULT 0,
    changed_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   varchar(150)  NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         varchar(45)   NOT NULL,
    port            integer       NOT NULL,
    generation      integer       NOT NULL,
    silo_name       varchar(150)  NOT NULL,
    host_name       varchar(150)  NOT NULL,
    status          integer       NOT NULL,
    proxy_port      integer       NULL,
    suspect_times   varchar(8000) NULL,
    start_time      timestamptz   NOT NULL,
    i_am_alive_time timestamptz   NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
    WITH created AS (
        INSERT INTO orleans_membership_version (deployment_id)
        VALUES (@DeploymentId)
        ON CONFLICT (deployment_id) DO NOTHING
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM created)
$q$),

-- Advances the version only when the expected version is current and the silo has no row yet; the row is written from
-- the advanced version, so both happen or neither.
('InsertMembershipKey', $q$
    WITH advanced AS (
        UPDATE orleans_membership_version AS v
        SET version = v.version + 1, changed_at = now()
        WHERE v.deployment_id = @DeploymentId AND v.version = @Version
          AND NOT EXISTS (SELECT 1 FROM orleans_membership AS m
                          WHERE m.deployment_id = @DeploymentId AND m.address = @Address
                            AND m.port = @Port AND m.generation = @Generation)
        RETURNING v.deployment_id),
    written AS (
        INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                        proxy_port, suspect_times, start_time, i_am_alive_time)
        SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
               @ProxyPort, NULL, @StartTime, @IAmAliveTime
        FROM advanced
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM written)
$q$),

('UpdateMembershipKey', $q$
    WITH advanced AS (
        UPDATE orleans_membership_version AS v
        SET version = v.version + 1, changed_at = now()
        WHERE v.deployment_id = @DeploymentId AND v.version = @Version
          AND EXISTS (SELECT 1 FROM orleans_membership AS m
                      WHERE m.deployment_id = @DeploymentId AND m.address = @Address
                        AND m.port = @Port AND m.generation = @Generation)
        RETURNING v.deployment_id),
    written AS (
        UPDATE orleans_membership AS m
        SET status = @Status, suspect_times = CAST(@SuspectTimes AS varchar), i_am_alive_time = @IAmAliveTime
        FROM advanced
        WHERE m.deployment_id = advanced.deployment_id AND m.address = @Address
          AND m.port = @Port AND m.generation = @Generation
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM written)
$q$),

('UpdateIAmAlivetimeKey', $q$
    UPDATE orleans_membership
    SET i_am_alive_time = @IAmAliveTime
    WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- The version row comes back even when the silo has no row (the provider reads the table version from it).
('MembershipReadRowKey', $q$
    SELECT v.deployment_id AS DeploymentId, m.address AS Address, m.port AS Port, m.generation AS Generation,
           m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
           m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime,
           v.version AS Version
    FROM orleans_membership_version AS v
    LEFT JOIN orleans_membership AS m
           ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    WHERE v.deployment_id = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
    SELECT v.deployment_id AS DeploymentId, m.address AS Address, m.port AS Port, m.generation AS Generation,
           m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
           m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime,
           v.version AS Version
    FROM orleans_membership_version AS v
    LEFT JOIN orleans_membership AS m ON m.deployment_id = v.deployment_id
    WHERE v.deployment_id = @DeploymentId
$q$),

-- Deleting the version row takes the cluster's silo rows with it (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId
$q$),

('GatewaysQueryKey', $q$
    SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
    FROM orleans_membership
    WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),

-- Rows of silos declared dead whose last heartbeat is older than the cut-off.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM orleans_membership
    WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO fedsim_schema_version (version, description)
VALUES (2, 'cluster membership')
ON CONFLICT (version) DO NOTHING;
