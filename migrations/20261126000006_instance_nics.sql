-- An instance's network interfaces, in the order the guest sees them (eth0 first): the
-- port behind each, and whether the port was the user's own (kept, only unbound, when the
-- instance goes; ports Nova made for it are deleted with it).
CREATE TABLE instance_nics (
    instance_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    port_id TEXT NOT NULL,
    preserve_on_delete BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (instance_id, position)
);
CREATE UNIQUE INDEX instance_nics_port ON instance_nics (port_id);
