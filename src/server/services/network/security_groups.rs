//! Security groups and their rules. Every project has a `default` group, made on first
//! need: egress open, ingress only from members of the same group. A new group opens
//! egress only. Ports take the project's `default` unless they name groups.

use super::fault::Fault;
use super::networks::{owner, scope};
use super::{conflict, invalid, parse_list, to_json, NetworkService};
use crate::server::authz::{authorize, is_admin, Action, Resource};
use crate::server::context::OpCtx;
use crate::server::db::{self, network::RuleRow, network::SecurityGroupRow};
use crate::server::error::{Error, Result};
use crate::server::services::now;

pub use crate::server::db::network::SecurityGroupQuery;

/// IP protocol names Neutron takes, with their numbers.
const PROTOCOLS: [(&str, u8); 22] = [
    ("ah", 51),
    ("dccp", 33),
    ("egp", 8),
    ("esp", 50),
    ("gre", 47),
    ("icmp", 1),
    ("icmpv6", 58),
    ("igmp", 2),
    ("ipip", 4),
    ("ipv6-encap", 41),
    ("ipv6-frag", 44),
    ("ipv6-icmp", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("ipv6-route", 43),
    ("ospf", 89),
    ("pgm", 113),
    ("rsvp", 46),
    ("sctp", 132),
    ("tcp", 6),
    ("udp", 17),
    ("vrrp", 112),
];

/// Protocols whose rules take a port range.
const PORTED: [&str; 4] = ["tcp", "udp", "sctp", "dccp"];

#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroupRule {
    pub id: String,
    pub security_group_id: String,
    pub project_id: String,
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<RuleRow> for SecurityGroupRule {
    fn from(r: RuleRow) -> Self {
        SecurityGroupRule {
            id: r.id,
            security_group_id: r.security_group_id,
            project_id: r.project_id,
            direction: r.direction,
            ethertype: r.ethertype,
            protocol: r.protocol,
            port_range_min: r.port_range_min,
            port_range_max: r.port_range_max,
            remote_ip_prefix: r.remote_ip_prefix,
            remote_group_id: r.remote_group_id,
            description: r.description,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl SecurityGroupRule {
    fn to_row(&self) -> RuleRow {
        RuleRow {
            id: self.id.clone(),
            security_group_id: self.security_group_id.clone(),
            project_id: self.project_id.clone(),
            direction: self.direction.clone(),
            ethertype: self.ethertype.clone(),
            protocol: self.protocol.clone(),
            port_range_min: self.port_range_min,
            port_range_max: self.port_range_max,
            remote_ip_prefix: self.remote_ip_prefix.clone(),
            remote_group_id: self.remote_group_id.clone(),
            description: self.description.clone(),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// Two rules that let the same traffic through (an any-address prefix is no prefix).
    fn same_as(&self, other: &SecurityGroupRule) -> bool {
        let prefix = |p: &Option<String>| {
            p.as_deref()
                .map(network_of)
                .filter(|p| p != "0.0.0.0/0" && p != "::/0")
        };
        self.direction == other.direction
            && self.ethertype == other.ethertype
            && self.protocol == other.protocol
            && self.port_range_min == other.port_range_min
            && self.port_range_max == other.port_range_max
            && prefix(&self.remote_ip_prefix) == prefix(&other.remote_ip_prefix)
            && self.remote_group_id == other.remote_group_id
    }
}

/// The network a rule's prefix names (`10.2.3.124/24` is `10.2.3.0/24`).
pub(super) fn network_of(prefix: &str) -> String {
    prefix
        .parse::<ipnet::IpNet>()
        .map(|n| n.trunc().to_string())
        .unwrap_or_else(|_| prefix.to_string())
}

#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub stateful: bool,
    pub is_default: bool,
    pub tags: Vec<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub rules: Vec<SecurityGroupRule>,
}

impl SecurityGroup {
    fn from_row(r: SecurityGroupRow, rules: Vec<SecurityGroupRule>) -> SecurityGroup {
        SecurityGroup {
            tags: parse_list(&r.tags),
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            description: r.description,
            stateful: r.stateful != 0,
            is_default: r.is_default != 0,
            revision_number: r.revision_number,
            created_at: r.created_at,
            updated_at: r.updated_at,
            rules,
        }
    }

    fn to_row(&self) -> SecurityGroupRow {
        SecurityGroupRow {
            id: self.id.clone(),
            project_id: self.project_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            stateful: self.stateful as i64,
            is_default: self.is_default as i64,
            tags: to_json(&self.tags),
            revision_number: self.revision_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn resource(&self) -> Resource<'_> {
        Resource::ProjectOwned {
            kind: "security_group",
            id: &self.id,
            project_id: &self.project_id,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct SecurityGroupCreate {
    pub name: String,
    pub description: String,
    pub stateful: Option<bool>,
    pub project_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RuleCreate {
    pub security_group_id: String,
    pub direction: String,
    pub ethertype: Option<String>,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
}

fn sg_not_found(id: &str) -> Error {
    super::refuse(
        Fault::SecurityGroupNotFound,
        Error::NotFound {
            kind: "security group",
            id: id.to_string(),
        },
    )
}

fn rule(
    group: &SecurityGroup,
    direction: &str,
    ethertype: &str,
    remote_self: bool,
) -> SecurityGroupRule {
    let t = now();
    SecurityGroupRule {
        id: super::new_uuid(),
        security_group_id: group.id.clone(),
        project_id: group.project_id.clone(),
        direction: direction.into(),
        ethertype: ethertype.into(),
        protocol: None,
        port_range_min: None,
        port_range_max: None,
        remote_ip_prefix: None,
        remote_group_id: remote_self.then(|| group.id.clone()),
        description: String::new(),
        revision_number: 1,
        created_at: t,
        updated_at: t,
    }
}

/// Checks and normalises a rule's protocol, ports and remote.
fn check_rule(r: &mut SecurityGroupRule) -> Result<()> {
    if !matches!(r.direction.as_str(), "ingress" | "egress") {
        return Err(invalid(
            Fault::InvalidInput,
            msg!("Invalid input for direction. Reason: '{direction}' is not in ['ingress', 'egress'].", direction = r.direction),
        ));
    }
    if !matches!(r.ethertype.as_str(), "IPv4" | "IPv6") {
        return Err(invalid(
            Fault::SecurityGroupRuleInvalidEtherType,
            msg!("Security group rule for ethertype '{ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].", ethertype = r.ethertype),
        ));
    }
    if let Some(p) = &r.protocol {
        let p = p.to_ascii_lowercase();
        let known =
            PROTOCOLS.iter().any(|(n, _)| *n == p) || p.parse::<u16>().is_ok_and(|n| n <= 255);
        if p == "any" {
            r.protocol = None;
        } else if !known {
            return Err(invalid(
                Fault::SecurityGroupRuleInvalidProtocol,
                msg!(
                    "Security group rule protocol {p} not supported. Only protocol values {protocols} and integer representations [0 to 255] are supported.",
                    p,
                    protocols = format!("{:?}", PROTOCOLS.iter().map(|(n, _)| *n).collect::<Vec<_>>())
                ),
            ));
        } else {
            r.protocol = Some(p);
        }
    }
    let (min, max) = (r.port_range_min, r.port_range_max);
    match r.protocol.as_deref() {
        None if min.is_some() || max.is_some() => {
            return Err(invalid(
                Fault::SecurityGroupProtocolRequiredWithPorts,
                msg!("Must also specify protocol if port range is given."),
            ))
        }
        Some(p) if PORTED.contains(&p) || p == "6" || p == "17" => {
            for v in [min, max].into_iter().flatten() {
                if !(1..=65535).contains(&v) {
                    return Err(invalid(
                        Fault::SecurityGroupInvalidPortValue,
                        msg!("Invalid value for port {v}.", v),
                    ));
                }
            }
            let bad_range = match (min, max) {
                (Some(a), Some(b)) => a > b,
                (None, Some(_)) => true,
                _ => false,
            };
            if bad_range {
                return Err(invalid(
                    Fault::SecurityGroupInvalidPortRange,
                    msg!("For TCP/UDP protocols, port_range_min must be <= port_range_max"),
                ));
            }
            if max.is_none() {
                // A lower end alone: a single port.
                r.port_range_max = min;
            }
        }
        Some(p) if matches!(p, "icmp" | "icmpv6" | "ipv6-icmp" | "1" | "58") => {
            // ICMP: min is the type, max the code.
            if let Some(v) = min.filter(|v| !(0..=255).contains(v)) {
                return Err(invalid(
                    Fault::SecurityGroupInvalidIcmpValue,
                    msg!(
                        "Invalid value for ICMP type (port_range_min) {v}. It must be 0 to 255.",
                        v
                    ),
                ));
            }
            if let Some(v) = max.filter(|v| !(0..=255).contains(v)) {
                return Err(invalid(
                    Fault::SecurityGroupInvalidIcmpValue,
                    msg!(
                        "Invalid value for ICMP code (port_range_max) {v}. It must be 0 to 255.",
                        v
                    ),
                ));
            }
            if max.is_some() && min.is_none() {
                return Err(invalid(
                    Fault::SecurityGroupMissingIcmpType,
                    msg!("ICMP code (port-range-max) is provided but ICMP type (port-range-min) is missing."),
                ));
            }
        }
        Some(p) if min.is_some() || max.is_some() => {
            return Err(invalid(
                Fault::InvalidInput,
                msg!(
                    "Invalid input for operation: port ranges are not supported for protocol {p}.",
                    p
                ),
            ))
        }
        _ => {}
    }
    if r.remote_ip_prefix.is_some() && r.remote_group_id.is_some() {
        return Err(invalid(
            Fault::SecurityGroupRemoteGroupAndRemoteIpPrefix,
            msg!("Only remote_ip_prefix or remote_group_id may be provided."),
        ));
    }
    if let Some(prefix) = &r.remote_ip_prefix {
        let net: ipnet::IpNet = prefix
            .parse()
            .or_else(|_| prefix.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| {
                invalid(
                    Fault::InvalidInput,
                    msg!("Invalid input for remote_ip_prefix. Reason: '{prefix}' is not a valid IP prefix.", prefix),
                )
            })?;
        let v4 = matches!(net, ipnet::IpNet::V4(_));
        if v4 != (r.ethertype == "IPv4") {
            return Err(invalid(
                Fault::SecurityGroupRuleParameterConflict,
                msg!(
                    "Conflicting value ethertype {ethertype} for CIDR {prefix}",
                    ethertype = r.ethertype,
                    prefix
                ),
            ));
        }
        // Kept as given (a bare address becomes its /32), host bits included, as Neutron
        // does; the data plane and the duplicate check use the network it names.
        r.remote_ip_prefix = Some(net.to_string());
    }
    Ok(())
}

impl NetworkService {
    /// The project's `default` group, made now if it has none.
    pub(super) async fn default_group(&self, project_id: &str) -> Result<SecurityGroup> {
        let mut conn = self.db.conn().await?;
        if let Some(row) = db::network::sg_default_of(&mut conn, project_id).await? {
            let rules = rules_for(&mut conn, &[row.id.clone()]).await?;
            return Ok(SecurityGroup::from_row(row, rules));
        }
        let t = now();
        let mut group = SecurityGroup {
            id: super::new_uuid(),
            project_id: project_id.to_string(),
            name: "default".into(),
            description: "Default security group".into(),
            stateful: true,
            is_default: true,
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
            rules: Vec::new(),
        };
        group.rules = vec![
            rule(&group, "egress", "IPv4", false),
            rule(&group, "egress", "IPv6", false),
            rule(&group, "ingress", "IPv4", true),
            rule(&group, "ingress", "IPv6", true),
        ];
        let mut tx = self.db.begin().await?;
        if db::network::sg_insert(&mut tx, &group.to_row()).await? {
            for r in &group.rules {
                db::insert(&mut tx, &r.to_row()).await?;
            }
            tx.commit().await?;
            self.changed();
            return Ok(group);
        }
        // Another request made it first.
        drop(tx);
        let row = db::network::sg_default_of(&mut conn, project_id)
            .await?
            .ok_or_else(|| {
                Error::internal("default security group", anyhow::anyhow!("vanished"))
            })?;
        let rules = rules_for(&mut conn, &[row.id.clone()]).await?;
        Ok(SecurityGroup::from_row(row, rules))
    }

    pub async fn security_group_create(
        &self,
        ctx: &OpCtx,
        req: SecurityGroupCreate,
    ) -> Result<SecurityGroup> {
        let project_id = owner(ctx, req.project_id.as_deref(), "security_group")?;
        authorize(
            ctx,
            Action::Create,
            Resource::ProjectOwned {
                kind: "security_group",
                id: "",
                project_id: &project_id,
            },
        )?;
        if req.name == "default" {
            return Err(conflict(
                Fault::SecurityGroupDefaultAlreadyExists,
                msg!("Default security group already exists."),
            ));
        }
        let _claim = self.claims.lock().await;
        self.default_group(&project_id).await?;
        self.check_quota(&project_id, "security_group", 1).await?;
        self.check_quota(&project_id, "security_group_rule", 2)
            .await?;
        let t = now();
        let mut group = SecurityGroup {
            id: super::new_uuid(),
            project_id,
            name: req.name,
            description: req.description,
            stateful: req.stateful.unwrap_or(true),
            is_default: false,
            tags: Vec::new(),
            revision_number: 1,
            created_at: t,
            updated_at: t,
            rules: Vec::new(),
        };
        group.rules = vec![
            rule(&group, "egress", "IPv4", false),
            rule(&group, "egress", "IPv6", false),
        ];
        let mut tx = self.db.begin().await?;
        db::network::sg_insert(&mut tx, &group.to_row()).await?;
        for r in &group.rules {
            db::insert(&mut tx, &r.to_row()).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(group)
    }

    pub async fn security_group_get(&self, ctx: &OpCtx, id: &str) -> Result<SecurityGroup> {
        let mut conn = self.db.conn().await?;
        let row = db::get::<db::network::SecurityGroupRow>(&mut conn, id)
            .await?
            .ok_or_else(|| sg_not_found(id))?;
        let rules = rules_for(&mut conn, &[row.id.clone()]).await?;
        let group = SecurityGroup::from_row(row, rules);
        authorize(ctx, Action::Read, group.resource()).map_err(|e| match e {
            Error::NotFound { .. } => sg_not_found(id),
            e => e,
        })?;
        Ok(group)
    }

    /// The caller's groups; listing makes its project's `default` group when missing,
    /// as Neutron does.
    pub async fn security_group_list(
        &self,
        ctx: &OpCtx,
        q: SecurityGroupQuery,
    ) -> Result<Vec<SecurityGroup>> {
        // No lock: the unique index on a project's default settles two first lists.
        if let Some(p) = ctx.auth.project_id() {
            if !is_admin(ctx) || (q.project_id.is_empty() || q.project_id.iter().any(|x| x == p)) {
                self.default_group(p).await?;
            }
        }
        let mut conn = self.db.conn().await?;
        let rows = db::network::sg_list(&mut conn, &scope(ctx), &q).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let rules = rules_for(&mut conn, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mine = rules
                    .iter()
                    .filter(|x| x.security_group_id == r.id)
                    .cloned()
                    .collect();
                SecurityGroup::from_row(r, mine)
            })
            .collect())
    }

    pub async fn security_group_update(
        &self,
        ctx: &OpCtx,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<SecurityGroup> {
        let mut group = self.security_group_get(ctx, id).await?;
        authorize(ctx, Action::Modify, group.resource())?;
        if let Some(n) = name {
            if group.is_default && n != "default" {
                return Err(conflict(
                    Fault::SecurityGroupCannotUpdateDefault,
                    msg!("Updating default security group not allowed."),
                ));
            }
            if !group.is_default && n == "default" {
                return Err(conflict(
                    Fault::SecurityGroupDefaultAlreadyExists,
                    msg!("Default security group already exists."),
                ));
            }
            group.name = n;
        }
        if let Some(d) = description {
            group.description = d;
        }
        group.revision_number += 1;
        group.updated_at = now();
        let mut conn = self.db.conn().await?;
        db::save(&mut conn, &group.to_row()).await?;
        Ok(group)
    }

    pub async fn security_group_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let group = self.security_group_get(ctx, id).await?;
        authorize(ctx, Action::Delete, group.resource())?;
        if group.is_default && !is_admin(ctx) {
            return Err(conflict(
                Fault::SecurityGroupCannotRemoveDefault,
                msg!("Insufficient rights for removing default security group."),
            ));
        }
        let mut tx = self.db.begin().await?;
        if db::network::sg_port_count(&mut tx, id).await? > 0 {
            return Err(conflict(
                Fault::SecurityGroupInUse,
                msg!("Security Group {id} in use.", id),
            ));
        }
        // As in Neutron, the rules of other groups that name it as their remote go too.
        db::network::sg_rules_delete_by_remote(&mut tx, id).await?;
        db::delete::<db::network::SecurityGroupRow>(&mut tx, id).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Adds a rule; also says whether its group is the project's `default`.
    pub async fn rule_create(
        &self,
        ctx: &OpCtx,
        req: RuleCreate,
    ) -> Result<(SecurityGroupRule, bool)> {
        let group = self.security_group_get(ctx, &req.security_group_id).await?;
        authorize(ctx, Action::Modify, group.resource())?;
        if let Some(remote) = &req.remote_group_id {
            self.security_group_get(ctx, remote).await?;
        }
        let t = now();
        let mut r = SecurityGroupRule {
            id: super::new_uuid(),
            security_group_id: group.id.clone(),
            project_id: group.project_id.clone(),
            direction: req.direction,
            ethertype: req.ethertype.unwrap_or_else(|| "IPv4".into()),
            protocol: req.protocol,
            port_range_min: req.port_range_min,
            port_range_max: req.port_range_max,
            remote_ip_prefix: req.remote_ip_prefix,
            remote_group_id: req.remote_group_id,
            description: req.description,
            revision_number: 1,
            created_at: t,
            updated_at: t,
        };
        check_rule(&mut r)?;
        let _claim = self.claims.lock().await;
        let mut conn = self.db.conn().await?;
        let existing = rules_for(&mut conn, &[group.id.clone()]).await?;
        if let Some(same) = existing.iter().find(|e| e.same_as(&r)) {
            return Err(conflict(
                Fault::SecurityGroupRuleExists,
                msg!(
                    "Security group rule already exists. Rule id is {id}.",
                    id = same.id
                ),
            ));
        }
        drop(conn);
        self.check_quota(&group.project_id, "security_group_rule", 1)
            .await?;
        let mut conn = self.db.conn().await?;
        db::insert(&mut conn, &r.to_row()).await?;
        self.changed();
        Ok((r, group.is_default))
    }

    pub async fn rule_get(&self, ctx: &OpCtx, id: &str) -> Result<SecurityGroupRule> {
        let mut conn = self.db.conn().await?;
        let not_found = || {
            super::refuse(
                Fault::SecurityGroupRuleNotFound,
                Error::NotFound {
                    kind: "security group rule",
                    id: id.to_string(),
                },
            )
        };
        let r: SecurityGroupRule = db::get::<db::network::RuleRow>(&mut conn, id)
            .await?
            .ok_or_else(not_found)?
            .into();
        authorize(
            ctx,
            Action::Read,
            Resource::ProjectOwned {
                kind: "security_group_rule",
                id,
                project_id: &r.project_id,
            },
        )
        .map_err(|e| match e {
            Error::NotFound { .. } => not_found(),
            e => e,
        })?;
        Ok(r)
    }

    pub async fn rule_delete(&self, ctx: &OpCtx, id: &str) -> Result<()> {
        let r = self.rule_get(ctx, id).await?;
        authorize(
            ctx,
            Action::Delete,
            Resource::ProjectOwned {
                kind: "security_group_rule",
                id,
                project_id: &r.project_id,
            },
        )?;
        let mut conn = self.db.conn().await?;
        db::delete::<db::network::RuleRow>(&mut conn, id).await?;
        self.changed();
        Ok(())
    }

    /// Checks the groups a port names: they exist, and belong to the port's project.
    pub(super) async fn groups_for_port(
        &self,
        ctx: &OpCtx,
        project_id: &str,
        requested: Option<Vec<String>>,
        port_security: bool,
        device_owner: &str,
    ) -> Result<Vec<String>> {
        match requested {
            Some(list) if !list.is_empty() && !port_security => Err(conflict(
                Fault::PortSecurityAndIPRequiredForSecurityGroups,
                msg!("Port security must be enabled and port must have an IP address in order to use security groups."),
            )),
            Some(list) => {
                let mut out = Vec::new();
                for id in list {
                    let g = self.security_group_get(ctx, &id).await?;
                    if g.project_id != project_id && !is_admin(ctx) {
                        return Err(sg_not_found(&id));
                    }
                    if !out.contains(&g.id) {
                        out.push(g.id);
                    }
                }
                Ok(out)
            }
            // Network-owned ports (DHCP, routers) and unprotected ports get none.
            None if !port_security || device_owner.starts_with("network:") => Ok(Vec::new()),
            None => Ok(vec![self.default_group(project_id).await?.id]),
        }
    }
}

async fn rules_for(
    c: &mut crate::server::db::Conn,
    group_ids: &[String],
) -> Result<Vec<SecurityGroupRule>> {
    Ok(db::network::rules_of(c, group_ids)
        .await?
        .into_iter()
        .map(SecurityGroupRule::from)
        .collect())
}
