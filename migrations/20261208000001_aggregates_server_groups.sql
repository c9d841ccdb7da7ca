-- Host aggregates (os-aggregates): named sets of compute hosts with metadata; one with an
-- availability zone puts its hosts in that zone. `num` is the integer id Nova's API shows.
CREATE TABLE aggregates (
    id TEXT PRIMARY KEY,
    num BIGINT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    availability_zone TEXT,
    -- A JSON array of host names.
    hosts TEXT NOT NULL DEFAULT '[]',
    -- A JSON object of strings (without availability_zone, which has its own column).
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT
);

-- Server groups (os-server-groups): a project's instances placed together (affinity) or
-- apart (anti-affinity), strictly or as a preference (soft-).
CREATE TABLE server_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    policy TEXT NOT NULL,
    -- A JSON object: {"max_server_per_host": N} for anti-affinity.
    rules TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX server_groups_project ON server_groups (project_id);

-- An instance's group (its membership), the addresses its user says to reach it at, and
-- how its disk was to be partitioned (Nova's OS-DCF:diskConfig).
ALTER TABLE instances ADD COLUMN server_group_id TEXT;
ALTER TABLE instances ADD COLUMN access_ip_v4 TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN access_ip_v6 TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN disk_config TEXT NOT NULL DEFAULT 'MANUAL';
CREATE INDEX instances_server_group ON instances (server_group_id);
