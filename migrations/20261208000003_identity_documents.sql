-- Keystone's policies API: policy documents stored for services to fetch (Keystone does
-- not enforce them itself).
CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    policy_type TEXT NOT NULL,
    blob TEXT NOT NULL
);

-- OAuth 1.0a consumers (OS-OAUTH1): the applications that may ask users for delegated
-- access. The secret is shown once, at creation, and kept as a SHA-256 hash.
CREATE TABLE oauth_consumers (
    id TEXT PRIMARY KEY,
    description TEXT,
    secret_hash TEXT NOT NULL
);

-- Endpoint groups (OS-EP-FILTER): endpoints chosen by interface, service and region, and
-- the projects they are associated with.
CREATE TABLE endpoint_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- A JSON object: {"interface": ..., "service_id": ..., "region_id": ...}.
    filters TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE endpoint_group_projects (
    endpoint_group_id TEXT NOT NULL REFERENCES endpoint_groups (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (endpoint_group_id, project_id)
);
