-- Image service (Glance v2) schema. Portable SQL, as in the identity migration.

CREATE TABLE images (
    id TEXT PRIMARY KEY,
    name TEXT,
    -- The owning project.
    owner TEXT NOT NULL,
    -- queued, saving, active, killed, deactivated, uploading, importing, pending_delete, deleted
    status TEXT NOT NULL,
    -- public, private, shared, community
    visibility TEXT NOT NULL,
    protected BIGINT NOT NULL DEFAULT 0,
    disk_format TEXT,
    container_format TEXT,
    size BIGINT,
    virtual_size BIGINT,
    checksum TEXT,
    os_hash_algo TEXT,
    os_hash_value TEXT,
    min_disk BIGINT NOT NULL DEFAULT 0,
    min_ram BIGINT NOT NULL DEFAULT 0,
    -- Free-form properties, a JSON object of strings.
    properties TEXT NOT NULL DEFAULT '{}',
    -- A JSON array of strings.
    tags TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX images_owner ON images (owner);
CREATE INDEX images_visibility ON images (visibility);

CREATE TABLE image_members (
    image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL,
    -- pending, accepted, rejected
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, member_id)
);
CREATE INDEX image_members_member ON image_members (member_id);
