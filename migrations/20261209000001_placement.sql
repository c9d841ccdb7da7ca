-- Placement: what each resource provider (a compute node, or whatever an operator or
-- another service registers) has, and what each consumer (an instance, a migration)
-- holds of it. Every change to a provider's inventories, traits, aggregates or
-- allocations bumps its generation, which writers send back to detect races.
CREATE TABLE resource_providers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    generation BIGINT NOT NULL,
    parent_id TEXT,
    root_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX resource_providers_parent ON resource_providers (parent_id);
CREATE INDEX resource_providers_root ON resource_providers (root_id);

-- Custom resource classes and traits (CUSTOM_*); the standard ones are in the code.
CREATE TABLE resource_classes (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    updated_at BIGINT
);
CREATE TABLE traits (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE inventories (
    provider_id TEXT NOT NULL REFERENCES resource_providers (id) ON DELETE CASCADE,
    resource_class TEXT NOT NULL,
    total BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    min_unit BIGINT NOT NULL,
    max_unit BIGINT NOT NULL,
    step_size BIGINT NOT NULL,
    allocation_ratio DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (provider_id, resource_class)
);

CREATE TABLE provider_traits (
    provider_id TEXT NOT NULL REFERENCES resource_providers (id) ON DELETE CASCADE,
    trait TEXT NOT NULL,
    PRIMARY KEY (provider_id, trait)
);

CREATE TABLE provider_aggregates (
    provider_id TEXT NOT NULL REFERENCES resource_providers (id) ON DELETE CASCADE,
    aggregate TEXT NOT NULL,
    PRIMARY KEY (provider_id, aggregate)
);
CREATE INDEX provider_aggregates_aggregate ON provider_aggregates (aggregate);

-- A consumer exists while it holds allocations.
CREATE TABLE consumers (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX consumers_project ON consumers (project_id, user_id);

CREATE TABLE allocations (
    consumer_id TEXT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES resource_providers (id),
    resource_class TEXT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (consumer_id, provider_id, resource_class)
);
CREATE INDEX allocations_provider ON allocations (provider_id, resource_class);
