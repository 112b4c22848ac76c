-- FedSim's PostgreSQL schema, version 1: the bookkeeping every later script relies on.
-- Scripts are applied in file-name order, each at most once (fedsim_schema_version records which ran), by the silo at
-- start (SchemaMigrator, under an advisory lock) or by psql (the docker image's init folder). Each script is also safe
-- to run twice: it creates only what is missing and replaces the providers' query texts.

CREATE TABLE IF NOT EXISTS fedsim_schema_version
(
    version     integer     NOT NULL PRIMARY KEY,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- The Orleans ADO.NET providers read the SQL they run from this table at start-up, by key; the table's name and its
-- two columns are theirs, everything the queries touch is ours.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

INSERT INTO fedsim_schema_version (version, description)
VALUES (1, 'schema version table and the providers'' query catalogue')
ON CONFLICT (version) DO NOTHING;
