-- FedSim's PostgreSQL schema, version 3: grain state (Microsoft.Orleans.Persistence.AdoNet): the coordinators'
-- per-round checkpoints and the devices' state, as Orleans binary payloads.
--
-- The provider's contract: a state is identified by (service, grain type, grain id: two 64-bit halves and an optional
-- string extension); the hashes it also sends are only for indexing. Its version is the ETag: a read returns it, a
-- write or clear must carry the version it read (NULL for a state never written) and answers exactly one row with the
-- new version; answering the version it sent (or NULL for a first write) tells the provider that another writer got
-- there first, which it raises as InconsistentStateException. A clear keeps the row, empty, with a new version.

CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    service_id       varchar(150) NOT NULL,
    grain_type_hash  integer      NOT NULL,
    grain_id_hash    integer      NOT NULL,
    grain_type       varchar(512) NOT NULL,
    grain_id_n0      bigint       NOT NULL,
    grain_id_n1      bigint       NOT NULL,
    -- '' stands for "no extension" so the key can be a primary key.
    grain_id_ext     varchar(512) NOT NULL,
    payload          bytea        NULL,
    version          integer      NOT NULL,
    modified_at      timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type_hash, grain_id_hash, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
    SELECT payload AS PayloadBinary, version AS Version
    FROM orleans_grain_state
    WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
      AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_ext = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
$q$),

-- A known version updates the row it names; no version inserts a first row unless one exists. Either way one row
-- answers: the new version, or (nothing written) the version sent.
('WriteToStorageKey', $q$
    WITH updated AS (
        UPDATE orleans_grain_state
        SET payload = @PayloadBinary, version = version + 1, modified_at = now()
        WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
          AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
          AND grain_id_ext = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
          AND version = CAST(@GrainStateVersion AS integer)
        RETURNING version),
    inserted AS (
        INSERT INTO orleans_grain_state (service_id, grain_type_hash, grain_id_hash, grain_type, grain_id_n0, grain_id_n1,
                                         grain_id_ext, payload, version)
        SELECT @ServiceId, @GrainTypeHash, @GrainIdHash, @GrainTypeString, @GrainIdN0, @GrainIdN1,
               COALESCE(CAST(@GrainIdExtensionString AS varchar), ''), @PayloadBinary, 1
        WHERE CAST(@GrainStateVersion AS integer) IS NULL
        ON CONFLICT DO NOTHING
        RETURNING version)
    SELECT COALESCE((SELECT version FROM updated), (SELECT version FROM inserted), CAST(@GrainStateVersion AS integer))
           AS NewGrainStateVersion
$q$),

('ClearStorageKey', $q$
    WITH cleared AS (
        UPDATE orleans_grain_state
        SET payload = NULL, version = version + 1, modified_at = now()
        WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
          AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
          AND grain_id_ext = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
          AND version = CAST(@GrainStateVersion AS integer)
        RETURNING version)
    SELECT COALESCE((SELECT version FROM cleared), CAST(@GrainStateVersion AS integer)) AS NewGrainStateVersion
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO fedsim_schema_version (version, description)
VALUES (3, 'grain state')
ON CONFLICT (version) DO NOTHING;
