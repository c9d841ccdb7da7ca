//! Neutron's resources as its API shows them: a typed view per resource (`View`), the
//! envelopes every handler answers with — `{"network": …}` for one (`one`, `created`),
//! `{"networks": […], "networks_links": …}` for a page (`many`) — and the handlers the
//! resources share: `show::<Network>` and `remove::<Network>` for those read and deleted by
//! id (`ById`), `create::<Network>` and `update::<Network>` for those made and changed from
//! a body (`Writable`), `list::<Network>` for a collection (`Listed`).
//!
//! The bodies go through `serde_json::Value`, whose object keys are sorted, so the bytes
//! clients receive do not depend on the order the fields are declared in. Attributes only
//! administrators see (`provider:*`, `binding:*`) are a flattened `Option`.

use std::future::Future;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{body_member, ListParams, NJson, NResult, Neutron};
use crate::server::authz::is_admin;
use crate::server::context::OpCtx;
use crate::server::error::Result;
use crate::server::rest::{by_id, ById};
use crate::server::services::network::{
    AddressPair, Agent, FixedIp, FloatingIp, HostRoute, Network, NetworkService, Pool, Port, Route,
    Router, SecurityGroup, SecurityGroupRule, Subnet,
};
use crate::server::state::AppState;
use crate::server::time::iso_seconds;

/// A resource of the networking API.
pub(super) trait View {
    /// The member name of one (`"network"`).
    const MEMBER: &'static str;
    /// The collection's name (`"networks"`).
    const COLLECTION: &'static str;
    fn id(&self) -> &str;
    /// The body; `admin` adds what only administrators see.
    fn view(&self, admin: bool) -> impl Serialize;
}

fn to_value<T: View>(item: &T, admin: bool) -> Value {
    // A view is plain strings, numbers, lists and options: it always serializes.
    serde_json::to_value(item.view(admin)).unwrap_or_default()
}

/// `{"<member>": view}`.
pub(super) fn one<T: View>(item: &T, n: &Neutron) -> Json<Value> {
    Json(json!({ T::MEMBER: to_value(item, is_admin(&n.ctx)) }))
}

/// `201 Created` with `{"<member>": view}`.
pub(super) fn created<T: View>(item: &T, n: &Neutron) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, one(item, n))
}

/// `{"<collection>": [view, …]}` with the asked-for `fields`, and a `next` link when the
/// page is full.
pub(super) fn many<T: View>(
    state: &AppState,
    p: &ListParams,
    items: &[T],
    n: &Neutron,
    limit: Option<i64>,
) -> Json<Value> {
    let admin = is_admin(&n.ctx);
    let last = items.last().map(|x| x.id().to_string());
    let views = items.iter().map(|x| to_value(x, admin)).collect();
    Json(p.page(state, T::COLLECTION, views, last, limit))
}

by_id!(NetworkService {
    Network => network_get, network_delete;
    Subnet => subnet_get, subnet_delete;
    Port => port_get, port_delete;
    Router => router_get, router_delete;
    FloatingIp => floating_ip_get, floating_ip_delete;
    SecurityGroup => security_group_get, security_group_delete;
    Agent => agent_get, agent_delete;
});

/// `GET /v2.0/<collection>/{id}`, with the asked-for `fields`.
pub(super) async fn show<T: ById<NetworkService> + View>(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let item = T::get(&state.network, &n.ctx, &id).await?;
    let view = ListParams { pairs: q }.project(vec![to_value(&item, is_admin(&n.ctx))]);
    Ok(Json(json!({ T::MEMBER: view[0] })))
}

/// `DELETE /v2.0/<collection>/{id}`: `204 No Content`.
pub(super) async fn remove<T: ById<NetworkService>>(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    T::delete(&state.network, &n.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A resource made by `POST /v2.0/<collection>` and changed by `PUT …/{id}` from
/// `{"<member>": {…}}`: the attributes each body may carry (Neutron refuses others), how
/// they are read into the service's request, and the service call.
pub(super) trait Writable: View + Sized + Send {
    const CREATE_ATTRS: &'static [&'static str];
    const UPDATE_ATTRS: &'static [&'static str];
    type Create: Send;
    type Update: Send;
    fn read_create(obj: &Map<String, Value>) -> NResult<Self::Create>;
    fn read_update(obj: &Map<String, Value>) -> NResult<Self::Update>;
    fn create(
        network: &NetworkService,
        ctx: &OpCtx,
        req: Self::Create,
    ) -> impl Future<Output = Result<Self>> + Send;
    fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        req: Self::Update,
    ) -> impl Future<Output = Result<Self>> + Send;
}

/// A collection listed with the filters of its query string, a page at a time.
pub(super) trait Listed: View + Sized + Send {
    type Query: Send;
    fn query(p: &ListParams, limit: Option<i64>) -> NResult<Self::Query>;
    fn list(
        network: &NetworkService,
        ctx: &OpCtx,
        query: Self::Query,
    ) -> impl Future<Output = Result<Vec<Self>>> + Send;
}

/// `POST /v2.0/<collection>`: `201 Created` with the new resource.
pub(super) async fn create<T: Writable>(
    State(state): State<AppState>,
    n: Neutron,
    NJson(body): NJson,
) -> NResult<(StatusCode, Json<Value>)> {
    let req = T::read_create(body_member(&body, T::MEMBER, T::CREATE_ATTRS)?)?;
    let item = T::create(&state.network, &n.ctx, req).await?;
    Ok(created(&item, &n))
}

/// `POST /v2.0/<collection>` for the collections Neutron also makes in bulk
/// (`{"<collection>": [{…}, …]}`): all or none, so those made before a failure are
/// deleted again before the failure is answered.
pub(super) async fn create_bulk<T: Writable + ById<NetworkService>>(
    state: State<AppState>,
    n: Neutron,
    NJson(body): NJson,
) -> NResult<(StatusCode, Json<Value>)> {
    let Some(entries) = body.get(T::COLLECTION).and_then(Value::as_array) else {
        return create::<T>(state, n, NJson(body)).await;
    };
    let mut made: Vec<T> = Vec::new();
    for entry in entries {
        let one = json!({ T::MEMBER: entry });
        let attempt = async {
            let req = T::read_create(body_member(&one, T::MEMBER, T::CREATE_ATTRS)?)?;
            Ok::<T, super::NeutronError>(T::create(&state.network, &n.ctx, req).await?)
        };
        match attempt.await {
            Ok(item) => made.push(item),
            Err(e) => {
                for item in made.iter().rev() {
                    if let Err(undo) = T::delete(&state.network, &n.ctx, item.id()).await {
                        tracing::warn!(id = item.id(), error = %undo, "undoing a bulk create");
                    }
                }
                return Err(e);
            }
        }
    }
    let admin = is_admin(&n.ctx);
    let views: Vec<Value> = made.iter().map(|x| to_value(x, admin)).collect();
    Ok((StatusCode::CREATED, Json(json!({ T::COLLECTION: views }))))
}

/// `PUT /v2.0/<collection>/{id}`.
pub(super) async fn update<T: Writable>(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
    NJson(body): NJson,
) -> NResult<Json<Value>> {
    let req = T::read_update(body_member(&body, T::MEMBER, T::UPDATE_ATTRS)?)?;
    let item = T::update(&state.network, &n.ctx, &id, req).await?;
    Ok(one(&item, &n))
}

/// `GET /v2.0/<collection>`: a page, with the asked-for `fields` and a `next` link.
pub(super) async fn list<T: Listed>(
    State(state): State<AppState>,
    n: Neutron,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let p = ListParams { pairs: q };
    let limit = p.limit()?;
    let items = T::list(&state.network, &n.ctx, T::query(&p, limit)?).await?;
    Ok(many(&state, &p, &items, &n, limit))
}

// --- The views -----------------------------------------------------------------------------

/// `{}`.
#[derive(Serialize)]
struct Empty {}

/// Attributes a resource does not use: always `null`.
type Null = Option<()>;

/// The zones a resource may be placed in: `nova`, the one there is.
const ZONES: [&str; 1] = ["nova"];

/// The standard attributes every resource carries.
#[derive(Serialize)]
struct Standard<'a> {
    project_id: &'a str,
    tenant_id: &'a str,
    tags: &'a [String],
    created_at: String,
    updated_at: String,
    revision_number: i64,
}

fn standard<'a>(
    project_id: &'a str,
    tags: &'a [String],
    created_at: i64,
    updated_at: i64,
    revision_number: i64,
) -> Standard<'a> {
    Standard {
        project_id,
        tenant_id: project_id,
        tags,
        created_at: iso_seconds(created_at),
        updated_at: iso_seconds(updated_at),
        revision_number,
    }
}

impl View for Network {
    const MEMBER: &'static str = "network";
    const COLLECTION: &'static str = "networks";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct Provider<'a> {
            #[serde(rename = "provider:network_type")]
            network_type: &'a str,
            #[serde(rename = "provider:physical_network")]
            physical_network: &'a Option<String>,
            #[serde(rename = "provider:segmentation_id")]
            segmentation_id: Option<i64>,
        }
        #[derive(Serialize)]
        struct NetworkView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            status: &'a str,
            admin_state_up: bool,
            subnets: &'a [String],
            shared: bool,
            #[serde(rename = "router:external")]
            external: bool,
            mtu: i64,
            port_security_enabled: bool,
            availability_zone_hints: [&'a str; 0],
            availability_zones: [&'a str; 1],
            ipv4_address_scope: Null,
            ipv6_address_scope: Null,
            l2_adjacency: bool,
            dns_domain: &'a str,
            is_default: bool,
            qos_policy_id: Null,
            #[serde(flatten)]
            standard: Standard<'a>,
            #[serde(flatten)]
            provider: Option<Provider<'a>>,
        }
        NetworkView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            status: &self.status,
            admin_state_up: self.admin_state_up,
            subnets: &self.subnets,
            shared: self.shared,
            external: self.external,
            mtu: self.mtu,
            port_security_enabled: self.port_security_enabled,
            availability_zone_hints: [],
            availability_zones: ZONES,
            ipv4_address_scope: None,
            ipv6_address_scope: None,
            l2_adjacency: true,
            dns_domain: "",
            is_default: false,
            qos_policy_id: None,
            standard: standard(
                &self.project_id,
                &self.tags,
                self.created_at,
                self.updated_at,
                self.revision_number,
            ),
            // Provider attributes are for administrators' eyes.
            provider: admin.then_some(Provider {
                network_type: &self.network_type,
                physical_network: &self.physical_network,
                segmentation_id: self.segmentation_id,
            }),
        }
    }
}

impl View for Subnet {
    const MEMBER: &'static str = "subnet";
    const COLLECTION: &'static str = "subnets";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, _admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct SubnetView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            network_id: &'a str,
            ip_version: i64,
            cidr: &'a str,
            gateway_ip: &'a Option<String>,
            enable_dhcp: bool,
            allocation_pools: &'a [Pool],
            dns_nameservers: &'a [String],
            host_routes: &'a [HostRoute],
            ipv6_address_mode: Null,
            ipv6_ra_mode: Null,
            subnetpool_id: Null,
            segment_id: Null,
            service_types: [&'a str; 0],
            dns_publish_fixed_ip: bool,
            #[serde(rename = "router:external")]
            external: bool,
            #[serde(flatten)]
            standard: Standard<'a>,
        }
        SubnetView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            network_id: &self.network_id,
            ip_version: self.ip_version,
            cidr: &self.cidr,
            gateway_ip: &self.gateway_ip,
            enable_dhcp: self.enable_dhcp,
            allocation_pools: &self.allocation_pools,
            dns_nameservers: &self.dns_nameservers,
            host_routes: &self.host_routes,
            ipv6_address_mode: None,
            ipv6_ra_mode: None,
            subnetpool_id: None,
            segment_id: None,
            service_types: [],
            dns_publish_fixed_ip: false,
            external: self.external,
            standard: standard(
                &self.project_id,
                &self.tags,
                self.created_at,
                self.updated_at,
                self.revision_number,
            ),
        }
    }
}

impl View for Port {
    const MEMBER: &'static str = "port";
    const COLLECTION: &'static str = "ports";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct Binding<'a> {
            #[serde(rename = "binding:host_id")]
            host_id: &'a str,
            #[serde(rename = "binding:profile")]
            profile: Empty,
            #[serde(rename = "binding:vif_type")]
            vif_type: &'a str,
            #[serde(rename = "binding:vif_details")]
            vif_details: Empty,
        }
        #[derive(Serialize)]
        struct PortView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            network_id: &'a str,
            mac_address: &'a str,
            admin_state_up: bool,
            status: &'a str,
            device_id: &'a str,
            device_owner: &'a str,
            fixed_ips: &'a [FixedIp],
            allowed_address_pairs: &'a [AddressPair],
            extra_dhcp_opts: [&'a str; 0],
            security_groups: &'a [String],
            port_security_enabled: bool,
            ip_allocation: &'a str,
            #[serde(rename = "binding:vnic_type")]
            vnic_type: &'a str,
            #[serde(flatten)]
            standard: Standard<'a>,
            #[serde(flatten)]
            binding: Option<Binding<'a>>,
        }
        PortView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            network_id: &self.network_id,
            mac_address: &self.mac_address,
            admin_state_up: self.admin_state_up,
            status: &self.status,
            device_id: &self.device_id,
            device_owner: &self.device_owner,
            fixed_ips: &self.fixed_ips,
            allowed_address_pairs: &self.allowed_address_pairs,
            extra_dhcp_opts: [],
            security_groups: &self.security_groups,
            port_security_enabled: self.port_security_enabled,
            ip_allocation: "immediate",
            vnic_type: "normal",
            standard: standard(
                &self.project_id,
                &self.tags,
                self.created_at,
                self.updated_at,
                self.revision_number,
            ),
            binding: admin.then_some(Binding {
                host_id: &self.binding_host_id,
                profile: Empty {},
                vif_type: &self.binding_vif_type,
                vif_details: Empty {},
            }),
        }
    }
}

impl View for Router {
    const MEMBER: &'static str = "router";
    const COLLECTION: &'static str = "routers";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct Placement {
            distributed: bool,
            ha: bool,
        }
        #[derive(Serialize)]
        struct Gateway<'a> {
            network_id: &'a str,
            enable_snat: bool,
            external_fixed_ips: &'a [FixedIp],
        }
        #[derive(Serialize)]
        struct RouterView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            admin_state_up: bool,
            status: &'a str,
            external_gateway_info: Option<Gateway<'a>>,
            routes: &'a [Route],
            availability_zone_hints: [&'a str; 0],
            availability_zones: [&'a str; 1],
            flavor_id: Null,
            #[serde(flatten)]
            standard: Standard<'a>,
            #[serde(flatten)]
            placement: Option<Placement>,
        }
        RouterView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            admin_state_up: self.admin_state_up,
            status: &self.status,
            external_gateway_info: self.gateway.as_ref().map(|g| Gateway {
                network_id: &g.network_id,
                enable_snat: g.enable_snat,
                external_fixed_ips: &g.external_fixed_ips,
            }),
            routes: &self.routes,
            availability_zone_hints: [],
            availability_zones: ZONES,
            flavor_id: None,
            standard: standard(
                &self.project_id,
                &self.tags,
                self.created_at,
                self.updated_at,
                self.revision_number,
            ),
            placement: admin.then_some(Placement {
                distributed: false,
                ha: false,
            }),
        }
    }
}

impl View for FloatingIp {
    const MEMBER: &'static str = "floatingip";
    const COLLECTION: &'static str = "floatingips";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, _admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct FloatingIpView<'a> {
            id: &'a str,
            floating_network_id: &'a str,
            floating_ip_address: &'a str,
            fixed_ip_address: &'a Option<String>,
            port_id: &'a Option<String>,
            router_id: &'a Option<String>,
            status: &'a str,
            description: &'a str,
            port_forwardings: [&'a str; 0],
            #[serde(flatten)]
            standard: Standard<'a>,
        }
        FloatingIpView {
            id: &self.id,
            floating_network_id: &self.floating_network_id,
            floating_ip_address: &self.floating_ip_address,
            fixed_ip_address: &self.fixed_ip_address,
            port_id: &self.port_id,
            router_id: &self.router_id,
            status: &self.status,
            description: &self.description,
            port_forwardings: [],
            standard: standard(
                &self.project_id,
                &self.tags,
                self.created_at,
                self.updated_at,
                self.revision_number,
            ),
        }
    }
}

/// Neutron prints agent times without the `T` and zone: `2026-11-26 10:00:00`.
fn agent_time(t: i64) -> String {
    iso_seconds(t)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string()
}

impl View for Agent {
    const MEMBER: &'static str = "agent";
    const COLLECTION: &'static str = "agents";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, _admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct AgentView<'a> {
            id: &'a str,
            agent_type: &'a str,
            binary: &'a str,
            host: &'a str,
            topic: &'a str,
            availability_zone: &'a Option<String>,
            admin_state_up: bool,
            alive: bool,
            description: &'a str,
            configurations: &'a Value,
            created_at: String,
            started_at: String,
            heartbeat_timestamp: Option<String>,
            resources_synced: Null,
            ha_state: Null,
            resource_versions: Empty,
        }
        AgentView {
            id: &self.id,
            agent_type: &self.agent_type,
            binary: &self.binary,
            host: &self.host,
            topic: &self.topic,
            availability_zone: &self.availability_zone,
            admin_state_up: self.admin_state_up,
            alive: self.alive,
            description: &self.description,
            configurations: &self.configurations,
            created_at: agent_time(self.created_at),
            started_at: agent_time(self.started_at),
            heartbeat_timestamp: self.heartbeat_timestamp.map(agent_time),
            resources_synced: None,
            ha_state: None,
            resource_versions: Empty {},
        }
    }
}

impl View for SecurityGroup {
    const MEMBER: &'static str = "security_group";
    const COLLECTION: &'static str = "security_groups";
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self, _admin: bool) -> impl Serialize {
        #[derive(Serialize)]
        struct SecurityGroupView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            stateful: bool,
            shared: bool,
            security_group_rules: Vec<RuleView<'a>>,
            #[serde(flatten)]
            standard: Standard<'a>,
        }
        SecurityGroupView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            stateful: self.stateful,
            shared: false,
            security_group_rules: self
                .rules
                .iter()
                .map(|r| rule_view(r, self.is_default))
                .collect(),
            standard: standard(
                &self.project_id,
                &self.tags,
                self.created_at,
                self.updated_at,
                self.revision_number,
            ),
        }
    }
}

/// A rule, with whether its group is its project's `default` one.
pub(super) struct RuleOf<'a>(pub &'a SecurityGroupRule, pub bool);

#[derive(Serialize)]
struct RuleView<'a> {
    id: &'a str,
    security_group_id: &'a str,
    direction: &'a str,
    ethertype: &'a str,
    protocol: &'a Option<String>,
    port_range_min: Option<i64>,
    port_range_max: Option<i64>,
    remote_ip_prefix: &'a Option<String>,
    remote_group_id: &'a Option<String>,
    remote_address_group_id: Null,
    normalized_cidr: &'a Option<String>,
    belongs_to_default_sg: bool,
    description: &'a str,
    project_id: &'a str,
    tenant_id: &'a str,
    created_at: String,
    updated_at: String,
    revision_number: i64,
}

fn rule_view(r: &SecurityGroupRule, default_group: bool) -> RuleView<'_> {
    RuleView {
        id: &r.id,
        security_group_id: &r.security_group_id,
        direction: &r.direction,
        ethertype: &r.ethertype,
        protocol: &r.protocol,
        port_range_min: r.port_range_min,
        port_range_max: r.port_range_max,
        remote_ip_prefix: &r.remote_ip_prefix,
        remote_group_id: &r.remote_group_id,
        remote_address_group_id: None,
        normalized_cidr: &r.remote_ip_prefix,
        belongs_to_default_sg: default_group,
        description: &r.description,
        project_id: &r.project_id,
        tenant_id: &r.project_id,
        created_at: iso_seconds(r.created_at),
        updated_at: iso_seconds(r.updated_at),
        revision_number: r.revision_number,
    }
}

impl View for RuleOf<'_> {
    const MEMBER: &'static str = "security_group_rule";
    const COLLECTION: &'static str = "security_group_rules";
    fn id(&self) -> &str {
        &self.0.id
    }
    fn view(&self, _admin: bool) -> impl Serialize {
        rule_view(self.0, self.1)
    }
}
