-- Moves of instances between flavors and hosts (Nova's migrations: resizes today), with
-- the status each reached: pre-migrating, finished, confirmed, reverted or error.
CREATE TABLE migrations (
    id TEXT PRIMARY KEY,
    -- The integer id Nova's API shows.
    num BIGINT NOT NULL UNIQUE,
    instance_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    migration_type TEXT NOT NULL,
    status TEXT NOT NULL,
    source_compute TEXT,
    dest_compute TEXT,
    old_flavor_id TEXT,
    new_flavor_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT
);
CREATE INDEX migrations_instance ON migrations (instance_id, created_at);
