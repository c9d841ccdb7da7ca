-- Identity (Keystone v3) schema.
-- Portable SQL: this one file runs on SQLite and on PostgreSQL (see ARCHITECTURE.md, "Data").
-- Booleans are BIGINT 0/1 and times are BIGINT unix seconds, because sqlx's Any driver
-- only maps those types the same way on both backends.

CREATE TABLE domains (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain_id TEXT NOT NULL REFERENCES domains (id),
    parent_id TEXT REFERENCES projects (id),
    description TEXT NOT NULL DEFAULT '',
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    domain_id TEXT NOT NULL REFERENCES domains (id),
    name TEXT NOT NULL,
    password_hash TEXT,
    enabled BIGINT NOT NULL DEFAULT 1,
    email TEXT,
    description TEXT,
    default_project_id TEXT,
    password_changed_at BIGINT NOT NULL,
    failed_auth_count BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE INDEX users_name ON users (name);

CREATE TABLE user_groups (
    id TEXT PRIMARY KEY,
    domain_id TEXT NOT NULL REFERENCES domains (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE implied_roles (
    prior_role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    implied_role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id)
);

-- actor_type is 'user' or 'group'; target_type is 'project' or 'domain'.
-- The actor and target are polymorphic, so the service layer deletes assignments
-- together with their actor or target in one transaction.
CREATE TABLE role_assignments (
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (actor_type, actor_id, target_type, target_id, role_id)
);
CREATE INDEX role_assignments_target ON role_assignments (target_type, target_id);

CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    parent_region_id TEXT REFERENCES regions (id)
);

CREATE TABLE services (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    enabled BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    interface TEXT NOT NULL,
    region_id TEXT REFERENCES regions (id),
    url TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE application_credentials (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    secret_hash TEXT NOT NULL,
    expires_at BIGINT,
    unrestricted BIGINT NOT NULL DEFAULT 0,
    -- JSON array of role ids: the subset of the creator's roles the credential carries.
    role_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);

-- Tokens are signed, not stored; an explicit revocation is recorded by audit id
-- until the token would have expired anyway.
CREATE TABLE revoked_tokens (
    audit_id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE token_keys (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Portal sessions (tower-sessions records, JSON).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Every service and agent records a heartbeat here; `gureum status` reads it.
CREATE TABLE heartbeats (
    binary_name TEXT NOT NULL,
    host TEXT NOT NULL,
    topic TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (binary_name, host)
);
