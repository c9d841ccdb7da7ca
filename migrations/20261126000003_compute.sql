-- Compute service (Nova v2.1) schema. Portable SQL, as in the identity migration.

CREATE TABLE flavors (
    -- The flavor id (Nova's flavorid): a string, often a number or a UUID.
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vcpus BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    root_gb BIGINT NOT NULL,
    ephemeral_gb BIGINT NOT NULL DEFAULT 0,
    swap_mb BIGINT NOT NULL DEFAULT 0,
    rxtx_factor DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    is_public BIGINT NOT NULL DEFAULT 1,
    disabled BIGINT NOT NULL DEFAULT 0,
    description TEXT,
    -- A JSON object of strings.
    extra_specs TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);

CREATE TABLE flavor_projects (
    flavor_id TEXT NOT NULL REFERENCES flavors (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    PRIMARY KEY (flavor_id, project_id)
);

CREATE TABLE keypairs (
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- ssh or x509
    key_type TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- Hard limits: per project, and the defaults under project_id '' (Nova's default class).
CREATE TABLE quotas (
    project_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);

-- Hypervisors: one row per compute host this controller drives.
CREATE TABLE compute_nodes (
    id TEXT PRIMARY KEY,
    -- A small integer for the legacy API.
    num BIGINT NOT NULL UNIQUE,
    host TEXT NOT NULL UNIQUE,
    hypervisor_type TEXT NOT NULL,
    hypervisor_version BIGINT NOT NULL,
    host_ip TEXT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    local_gb BIGINT NOT NULL,
    cpu_allocation_ratio DOUBLE PRECISION NOT NULL,
    ram_allocation_ratio DOUBLE PRECISION NOT NULL,
    disk_allocation_ratio DOUBLE PRECISION NOT NULL,
    cpu_info TEXT NOT NULL DEFAULT '{}',
    -- enabled / disabled (the nova-compute service status)
    status TEXT NOT NULL DEFAULT 'enabled',
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    image_id TEXT,
    -- The flavor as it was at launch (or after a resize), a JSON object.
    flavor TEXT NOT NULL,
    flavor_id TEXT NOT NULL,
    -- The resources the instance holds (its flavor's, the larger of two during a resize),
    -- summed for quotas and for the scheduler.
    vcpus BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    disk_gb BIGINT NOT NULL,
    -- During a resize, the flavor being moved to / from (JSON), until confirm or revert.
    new_flavor TEXT,
    old_flavor TEXT,
    key_name TEXT,
    key_data TEXT,
    user_data TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    hostname TEXT NOT NULL,
    -- The compute node holding the instance's resources (NULL: none allocated).
    node_id TEXT REFERENCES compute_nodes (id),
    host TEXT,
    vm_state TEXT NOT NULL,
    task_state TEXT,
    power_state BIGINT NOT NULL DEFAULT 0,
    locked BIGINT NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_reason TEXT,
    -- The last fault, a JSON object {code, message, details, created}.
    fault TEXT,
    config_drive BIGINT NOT NULL DEFAULT 1,
    availability_zone TEXT NOT NULL DEFAULT 'nova',
    progress BIGINT NOT NULL DEFAULT 0,
    launched_at BIGINT,
    terminated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX instances_project ON instances (project_id, deleted);
CREATE INDEX instances_created ON instances (created_at, id);
CREATE INDEX instances_node ON instances (node_id);

CREATE TABLE instance_actions (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    action TEXT NOT NULL,
    request_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    message TEXT,
    start_time BIGINT NOT NULL,
    finish_time BIGINT,
    -- A JSON array of {event, start_time, finish_time, result, traceback}.
    events TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX instance_actions_instance ON instance_actions (instance_id, start_time);
