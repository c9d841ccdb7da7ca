-- Glance's metadata definitions catalog: namespaces of definitions (objects, properties,
-- tags) that describe the metadata other resources take, and the resource types a
-- namespace applies to.
CREATE TABLE metadef_namespaces (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL UNIQUE,
    display_name TEXT,
    description TEXT,
    visibility TEXT NOT NULL,
    protected BIGINT NOT NULL,
    owner TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The definitions in a namespace: `kind` is object, property or tag; `body` the JSON of
-- the definition without its name.
CREATE TABLE metadef_definitions (
    id TEXT PRIMARY KEY,
    namespace_id TEXT NOT NULL REFERENCES metadef_namespaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (namespace_id, kind, name)
);

CREATE TABLE metadef_resource_types (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    protected BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Which resource types a namespace applies to, with the prefix its properties take there.
CREATE TABLE metadef_associations (
    id TEXT PRIMARY KEY,
    namespace_id TEXT NOT NULL REFERENCES metadef_namespaces (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    prefix TEXT,
    properties_target TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (namespace_id, resource_type)
);

-- The resource types of the services OpenStack's dashboards ask about.
INSERT INTO metadef_resource_types (id, name, protected, created_at, updated_at) VALUES
    ('os-glance-image', 'OS::Glance::Image', 1, 0, 0),
    ('os-cinder-volume', 'OS::Cinder::Volume', 1, 0, 0),
    ('os-nova-flavor', 'OS::Nova::Flavor', 1, 0, 0),
    ('os-nova-aggregate', 'OS::Nova::Aggregate', 1, 0, 0),
    ('os-nova-server', 'OS::Nova::Server', 1, 0, 0);
