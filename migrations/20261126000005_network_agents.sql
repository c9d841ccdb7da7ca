-- Network agents (Neutron's /agents): what runs the data plane on each host. Their
-- liveness is the host controller's heartbeat; the row keeps the id clients see and what
-- an administrator sets (admin_state_up, description).
CREATE TABLE network_agents (
    id TEXT PRIMARY KEY,
    agent_type TEXT NOT NULL,
    binary_name TEXT NOT NULL,
    host TEXT NOT NULL,
    topic TEXT NOT NULL,
    availability_zone TEXT,
    admin_state_up BIGINT NOT NULL DEFAULT 1,
    description TEXT NOT NULL DEFAULT '',
    -- JSON: the driver, bridge mappings and the like.
    configurations TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX network_agents_binary_host ON network_agents (binary_name, host);

-- A router's gateway network is looked up by floating IP association.
CREATE INDEX routers_gateway ON routers (gw_network_id);
CREATE INDEX floating_ips_router ON floating_ips (router_id);
