-- Network service (Neutron v2.0) schema. Portable SQL, as in the other migrations:
-- booleans are BIGINT 0/1, times are unix seconds, lists and maps are JSON text.

CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    admin_state_up BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    shared BIGINT NOT NULL DEFAULT 0,
    -- router:external
    external BIGINT NOT NULL DEFAULT 0,
    mtu BIGINT NOT NULL,
    -- provider:network_type / physical_network / segmentation_id
    network_type TEXT NOT NULL,
    physical_network TEXT,
    segmentation_id BIGINT,
    port_security_enabled BIGINT NOT NULL DEFAULT 1,
    tags TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX networks_project ON networks (project_id);
-- One flat network per physical network; a VLAN id once per physical network.
CREATE UNIQUE INDEX networks_flat ON networks (physical_network) WHERE network_type = 'flat';
CREATE UNIQUE INDEX networks_vlan ON networks (physical_network, segmentation_id) WHERE network_type = 'vlan';
CREATE UNIQUE INDEX networks_segment ON networks (network_type, segmentation_id) WHERE network_type = 'vxlan';

CREATE TABLE subnets (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks (id),
    project_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    ip_version BIGINT NOT NULL,
    cidr TEXT NOT NULL,
    gateway_ip TEXT,
    enable_dhcp BIGINT NOT NULL DEFAULT 1,
    -- [{"start", "end"}]
    allocation_pools TEXT NOT NULL DEFAULT '[]',
    dns_nameservers TEXT NOT NULL DEFAULT '[]',
    -- [{"destination", "nexthop"}]
    host_routes TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subnets_network ON subnets (network_id);

CREATE TABLE ports (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks (id),
    -- '' for ports no project owns (router gateways, floating IPs).
    project_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    mac_address TEXT NOT NULL,
    admin_state_up BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    device_id TEXT NOT NULL DEFAULT '',
    device_owner TEXT NOT NULL DEFAULT '',
    port_security_enabled BIGINT NOT NULL DEFAULT 1,
    -- [{"ip_address", "mac_address"}]
    allowed_address_pairs TEXT NOT NULL DEFAULT '[]',
    binding_host_id TEXT NOT NULL DEFAULT '',
    binding_vif_type TEXT NOT NULL DEFAULT 'unbound',
    tags TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ports_mac ON ports (network_id, mac_address);
CREATE INDEX ports_device ON ports (device_id);
CREATE INDEX ports_project ON ports (project_id);

-- IPAM: an address is held by one port of a network. The primary key is what keeps two
-- concurrent allocations from taking the same address; overlapping CIDRs on different
-- networks stay legal.
CREATE TABLE ip_allocations (
    network_id TEXT NOT NULL,
    ip_address TEXT NOT NULL,
    subnet_id TEXT NOT NULL REFERENCES subnets (id),
    port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    PRIMARY KEY (network_id, ip_address)
);
CREATE INDEX ip_allocations_port ON ip_allocations (port_id);
CREATE INDEX ip_allocations_subnet ON ip_allocations (subnet_id);

CREATE TABLE security_groups (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    stateful BIGINT NOT NULL DEFAULT 1,
    is_default BIGINT NOT NULL DEFAULT 0,
    tags TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX security_groups_project ON security_groups (project_id);
-- Exactly one `default` group per project, created on first need without a race.
CREATE UNIQUE INDEX security_groups_default ON security_groups (project_id) WHERE is_default = 1;

CREATE TABLE security_group_rules (
    id TEXT PRIMARY KEY,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    -- ingress / egress
    direction TEXT NOT NULL,
    -- IPv4 / IPv6
    ethertype TEXT NOT NULL,
    -- A name (tcp, udp, icmp ...) or a number, as given; NULL for any.
    protocol TEXT,
    port_range_min BIGINT,
    port_range_max BIGINT,
    remote_ip_prefix TEXT,
    remote_group_id TEXT,
    description TEXT NOT NULL DEFAULT '',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id);

CREATE TABLE port_security_groups (
    port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id),
    PRIMARY KEY (port_id, security_group_id)
);
CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id);

CREATE TABLE routers (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    admin_state_up BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    -- The external gateway: its network and port, NULL without one.
    gw_network_id TEXT REFERENCES networks (id),
    gw_port_id TEXT,
    enable_snat BIGINT NOT NULL DEFAULT 1,
    -- [{"destination", "nexthop"}]
    routes TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX routers_project ON routers (project_id);

CREATE TABLE floating_ips (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    floating_network_id TEXT NOT NULL REFERENCES networks (id),
    floating_ip_address TEXT NOT NULL,
    -- The port holding the address on the external network.
    floating_port_id TEXT NOT NULL,
    -- The associated port and fixed address, and the router that translates them.
    port_id TEXT,
    fixed_ip_address TEXT,
    router_id TEXT,
    status TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX floating_ips_project ON floating_ips (project_id);
CREATE INDEX floating_ips_port ON floating_ips (port_id);
CREATE UNIQUE INDEX floating_ips_fixed ON floating_ips (port_id, fixed_ip_address) WHERE port_id IS NOT NULL;

-- Hard limits per project, and the defaults under project_id ''.
CREATE TABLE network_quotas (
    project_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);
