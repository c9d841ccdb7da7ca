//! Networks, subnets and ports.

use axum::routing::get;
use axum::Router;
use serde_json::{Map, Value};

use super::view::{self, Listed, Writable};
use super::{
    bad_request, invalid_input, opt_bool, opt_int, opt_str, str_list, ListParams, NResult,
};
use crate::server::context::OpCtx;
use crate::server::error::Result;
use crate::server::services::network::{
    FixedIpRequest, GatewayRequest, HostRoute, Network, NetworkCreate, NetworkQuery,
    NetworkService, NetworkUpdate, Port, PortCreate, PortQuery, PortUpdate, Subnet, SubnetCreate,
    SubnetQuery, SubnetUpdate,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/networks",
            get(view::list::<Network>).post(view::create_bulk::<Network>),
        )
        .route(
            "/networks/{id}",
            get(view::show::<Network>)
                .put(view::update::<Network>)
                .delete(view::remove::<Network>),
        )
        .route(
            "/subnets",
            get(view::list::<Subnet>).post(view::create_bulk::<Subnet>),
        )
        .route(
            "/subnets/{id}",
            get(view::show::<Subnet>)
                .put(view::update::<Subnet>)
                .delete(view::remove::<Subnet>),
        )
        .route(
            "/ports",
            get(view::list::<Port>).post(view::create_bulk::<Port>),
        )
        .route(
            "/ports/{id}",
            get(view::show::<Port>)
                .put(view::update::<Port>)
                .delete(view::remove::<Port>),
        )
}

pub(super) fn params(q: Vec<(String, String)>) -> ListParams {
    ListParams { pairs: q }
}

// --- Networks ----------------------------------------------------------------------------

const NETWORK_CREATE_ATTRS: [&str; 16] = [
    "name",
    "description",
    "admin_state_up",
    "shared",
    "router:external",
    "mtu",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "port_security_enabled",
    "project_id",
    "tenant_id",
    "availability_zone_hints",
    "dns_domain",
    "is_default",
    "qos_policy_id",
];

pub(super) fn project_of(obj: &Map<String, Value>) -> NResult<Option<String>> {
    let p = opt_str(obj, "project_id")?;
    let t = opt_str(obj, "tenant_id")?;
    match (p, t) {
        (Some(p), Some(t)) if p != t => {
            Err(invalid_input(msg!("project_id and tenant_id do not match")))
        }
        (Some(p), _) | (None, Some(p)) => Ok(Some(p)),
        (None, None) => Ok(None),
    }
}

impl Writable for Network {
    const CREATE_ATTRS: &'static [&'static str] = &NETWORK_CREATE_ATTRS;
    const UPDATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "admin_state_up",
        "shared",
        "router:external",
        "mtu",
        "port_security_enabled",
        "qos_policy_id",
        "dns_domain",
    ];
    type Create = NetworkCreate;
    type Update = NetworkUpdate;

    fn read_create(obj: &Map<String, Value>) -> NResult<NetworkCreate> {
        if obj
            .get("availability_zone_hints")
            .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        {
            return Err(invalid_input(msg!(
                "availability zones other than 'nova' are not offered"
            )));
        }
        Ok(NetworkCreate {
            name: opt_str(obj, "name")?.unwrap_or_default(),
            description: opt_str(obj, "description")?.unwrap_or_default(),
            admin_state_up: opt_bool(obj, "admin_state_up")?,
            shared: opt_bool(obj, "shared")?,
            external: opt_bool(obj, "router:external")?,
            mtu: opt_int(obj, "mtu")?,
            network_type: opt_str(obj, "provider:network_type")?,
            physical_network: opt_str(obj, "provider:physical_network")?,
            segmentation_id: opt_int(obj, "provider:segmentation_id")?,
            port_security_enabled: opt_bool(obj, "port_security_enabled")?,
            project_id: project_of(obj)?,
        })
    }

    fn read_update(obj: &Map<String, Value>) -> NResult<NetworkUpdate> {
        Ok(NetworkUpdate {
            name: opt_str(obj, "name")?,
            description: opt_str(obj, "description")?,
            admin_state_up: opt_bool(obj, "admin_state_up")?,
            shared: opt_bool(obj, "shared")?,
            external: opt_bool(obj, "router:external")?,
            mtu: opt_int(obj, "mtu")?,
            port_security_enabled: opt_bool(obj, "port_security_enabled")?,
        })
    }

    async fn create(network: &NetworkService, ctx: &OpCtx, req: NetworkCreate) -> Result<Network> {
        network.network_create(ctx, req).await
    }

    async fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        req: NetworkUpdate,
    ) -> Result<Network> {
        network.network_update(ctx, id, req).await
    }
}

impl Listed for Network {
    type Query = NetworkQuery;

    fn query(p: &ListParams, limit: Option<i64>) -> NResult<NetworkQuery> {
        Ok(NetworkQuery {
            ids: p.all("id"),
            name: p.all("name"),
            project_id: p.project_ids(),
            shared: p.bool("shared")?,
            external: p.bool("router:external")?,
            status: p.all("status"),
            admin_state_up: p.bool("admin_state_up")?,
            network_type: p.all("provider:network_type"),
            physical_network: p.all("provider:physical_network"),
            marker: p.get("marker"),
            limit,
        })
    }

    async fn list(network: &NetworkService, ctx: &OpCtx, q: NetworkQuery) -> Result<Vec<Network>> {
        network.network_list(ctx, q).await
    }
}

// --- Subnets -----------------------------------------------------------------------------

fn pools(obj: &Map<String, Value>) -> NResult<Option<Vec<(String, String)>>> {
    match obj.get("allocation_pools") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| {
                let start = p.get("start").and_then(Value::as_str);
                let end = p.get("end").and_then(Value::as_str);
                match (start, end) {
                    (Some(s), Some(e)) => Ok((s.to_string(), e.to_string())),
                    _ => Err(invalid_input(msg!(
                        "'{p}' is not a valid allocation pool: it needs a start and an end",
                        p
                    ))),
                }
            })
            .collect::<NResult<Vec<_>>>()
            .map(Some),
        Some(v) => Err(invalid_input(msg!(
            "'{v}' is not a list of allocation pools",
            v
        ))),
    }
}

fn routes_of(obj: &Map<String, Value>) -> NResult<Option<Vec<HostRoute>>> {
    match obj.get("host_routes") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| {
            invalid_input(msg!(
                "'{v}' is not a list of host routes ({destination, nexthop})",
                v
            ))
        }),
    }
}

impl Writable for Subnet {
    const CREATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "network_id",
        "ip_version",
        "cidr",
        "gateway_ip",
        "enable_dhcp",
        "allocation_pools",
        "dns_nameservers",
        "host_routes",
        "project_id",
        "tenant_id",
        "subnetpool_id",
        "prefixlen",
        "ipv6_address_mode",
        "ipv6_ra_mode",
        "service_types",
        "segment_id",
        "dns_publish_fixed_ip",
        "use_default_subnetpool",
    ];
    const UPDATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "gateway_ip",
        "enable_dhcp",
        "allocation_pools",
        "dns_nameservers",
        "host_routes",
    ];
    type Create = SubnetCreate;
    type Update = SubnetUpdate;

    fn read_create(obj: &Map<String, Value>) -> NResult<SubnetCreate> {
        for unsupported in [
            "subnetpool_id",
            "prefixlen",
            "segment_id",
            "ipv6_address_mode",
            "ipv6_ra_mode",
        ] {
            if obj.get(unsupported).is_some_and(|v| !v.is_null()) {
                return Err(invalid_input(msg!(
                    "{unsupported} is not supported by this cloud",
                    unsupported
                )));
            }
        }
        let network_id = opt_str(obj, "network_id")?.ok_or_else(|| {
            bad_request(msg!(
                "Failed to parse request. Required attribute 'network_id' not specified"
            ))
        })?;
        let gateway_ip = match obj.get("gateway_ip") {
            None => GatewayRequest::Default,
            Some(Value::Null) => GatewayRequest::None,
            Some(Value::String(s)) => GatewayRequest::Address(s.clone()),
            Some(v) => return Err(invalid_input(msg!("'{v}' is not a valid IP address", v))),
        };
        Ok(SubnetCreate {
            network_id,
            name: opt_str(obj, "name")?.unwrap_or_default(),
            description: opt_str(obj, "description")?.unwrap_or_default(),
            ip_version: opt_int(obj, "ip_version")?,
            cidr: opt_str(obj, "cidr")?,
            gateway_ip,
            enable_dhcp: opt_bool(obj, "enable_dhcp")?,
            allocation_pools: pools(obj)?,
            dns_nameservers: str_list(obj, "dns_nameservers")?.unwrap_or_default(),
            host_routes: routes_of(obj)?.unwrap_or_default(),
            project_id: project_of(obj)?,
        })
    }

    fn read_update(obj: &Map<String, Value>) -> NResult<SubnetUpdate> {
        Ok(SubnetUpdate {
            name: opt_str(obj, "name")?,
            description: opt_str(obj, "description")?,
            gateway_ip: match obj.get("gateway_ip") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(s.clone())),
                Some(v) => return Err(invalid_input(msg!("'{v}' is not a valid IP address", v))),
            },
            enable_dhcp: opt_bool(obj, "enable_dhcp")?,
            allocation_pools: pools(obj)?,
            dns_nameservers: str_list(obj, "dns_nameservers")?,
            host_routes: routes_of(obj)?,
        })
    }

    async fn create(network: &NetworkService, ctx: &OpCtx, req: SubnetCreate) -> Result<Subnet> {
        network.subnet_create(ctx, req).await
    }

    async fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        req: SubnetUpdate,
    ) -> Result<Subnet> {
        network.subnet_update(ctx, id, req).await
    }
}

impl Listed for Subnet {
    type Query = SubnetQuery;

    fn query(p: &ListParams, limit: Option<i64>) -> NResult<SubnetQuery> {
        Ok(SubnetQuery {
            ids: p.all("id"),
            network_id: p.all("network_id"),
            name: p.all("name"),
            project_id: p.project_ids(),
            cidr: p.all("cidr"),
            enable_dhcp: p.bool("enable_dhcp")?,
            marker: p.get("marker"),
            limit,
        })
    }

    async fn list(network: &NetworkService, ctx: &OpCtx, q: SubnetQuery) -> Result<Vec<Subnet>> {
        network.subnet_list(ctx, q).await
    }
}

// --- Ports -------------------------------------------------------------------------------

fn fixed_ip_requests(obj: &Map<String, Value>) -> NResult<Option<Vec<FixedIpRequest>>> {
    fixed_ip_list(obj, "fixed_ips")
}

/// A list of `{subnet_id, ip_address}` under `key` (`fixed_ips`, `external_fixed_ips`).
pub(super) fn fixed_ip_list(
    obj: &Map<String, Value>,
    key: &str,
) -> NResult<Option<Vec<FixedIpRequest>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| {
                let o = f
                    .as_object()
                    .ok_or_else(|| invalid_input(msg!("'{f}' is not a valid fixed IP", f)))?;
                Ok(FixedIpRequest {
                    subnet_id: opt_str(o, "subnet_id")?,
                    ip_address: opt_str(o, "ip_address")?,
                })
            })
            .collect::<NResult<Vec<_>>>()
            .map(Some),
        Some(v) => Err(invalid_input(msg!("'{v}' is not a list of fixed IPs", v))),
    }
}

fn address_pairs(obj: &Map<String, Value>) -> NResult<Option<Vec<(String, Option<String>)>>> {
    match obj.get("allowed_address_pairs") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| {
                let o = p
                    .as_object()
                    .ok_or_else(|| invalid_input(msg!("'{p}' is not a valid address pair", p)))?;
                let ip = opt_str(o, "ip_address")?.ok_or_else(|| {
                    invalid_input(msg!("an allowed address pair needs an ip_address"))
                })?;
                Ok((ip, opt_str(o, "mac_address")?))
            })
            .collect::<NResult<Vec<_>>>()
            .map(Some),
        Some(v) => Err(invalid_input(msg!(
            "'{v}' is not a list of address pairs",
            v
        ))),
    }
}

impl Writable for Port {
    const CREATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "network_id",
        "fixed_ips",
        "mac_address",
        "device_id",
        "device_owner",
        "admin_state_up",
        "port_security_enabled",
        "allowed_address_pairs",
        "binding:host_id",
        "binding:vnic_type",
        "binding:profile",
        "security_groups",
        "project_id",
        "tenant_id",
        "extra_dhcp_opts",
    ];
    const UPDATE_ATTRS: &'static [&'static str] = &[
        "name",
        "description",
        "fixed_ips",
        "device_id",
        "device_owner",
        "admin_state_up",
        "port_security_enabled",
        "allowed_address_pairs",
        "binding:host_id",
        "binding:vnic_type",
        "binding:profile",
        "security_groups",
        "extra_dhcp_opts",
    ];
    type Create = PortCreate;
    type Update = PortUpdate;

    fn read_create(obj: &Map<String, Value>) -> NResult<PortCreate> {
        let network_id = opt_str(obj, "network_id")?.ok_or_else(|| {
            bad_request(msg!(
                "Failed to parse request. Required attribute 'network_id' not specified"
            ))
        })?;
        Ok(PortCreate {
            id: None,
            network_id,
            name: opt_str(obj, "name")?.unwrap_or_default(),
            description: opt_str(obj, "description")?.unwrap_or_default(),
            fixed_ips: fixed_ip_requests(obj)?,
            mac_address: opt_str(obj, "mac_address")?,
            device_id: opt_str(obj, "device_id")?.unwrap_or_default(),
            device_owner: opt_str(obj, "device_owner")?.unwrap_or_default(),
            admin_state_up: opt_bool(obj, "admin_state_up")?,
            port_security_enabled: opt_bool(obj, "port_security_enabled")?,
            allowed_address_pairs: address_pairs(obj)?.unwrap_or_default(),
            binding_host_id: opt_str(obj, "binding:host_id")?,
            project_id: project_of(obj)?,
            security_groups: str_list(obj, "security_groups")?,
        })
    }

    fn read_update(obj: &Map<String, Value>) -> NResult<PortUpdate> {
        Ok(PortUpdate {
            name: opt_str(obj, "name")?,
            description: opt_str(obj, "description")?,
            fixed_ips: fixed_ip_requests(obj)?,
            device_id: opt_str(obj, "device_id")?,
            device_owner: opt_str(obj, "device_owner")?,
            admin_state_up: opt_bool(obj, "admin_state_up")?,
            port_security_enabled: opt_bool(obj, "port_security_enabled")?,
            allowed_address_pairs: address_pairs(obj)?,
            binding_host_id: opt_str(obj, "binding:host_id")?,
            security_groups: str_list(obj, "security_groups")?,
        })
    }

    async fn create(network: &NetworkService, ctx: &OpCtx, req: PortCreate) -> Result<Port> {
        network.port_create(ctx, req).await
    }

    async fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        req: PortUpdate,
    ) -> Result<Port> {
        network.port_update(ctx, id, req).await
    }
}

/// `fixed_ips=ip_address=10.0.0.3` and `fixed_ips=subnet_id=...`, as the clients send.
/// The values of one key of the `fixed_ips=ip_address=…` filters.
fn fixed_ip_filter(p: &ListParams, key: &str) -> Vec<String> {
    p.all("fixed_ips")
        .iter()
        .filter_map(|f| f.strip_prefix(&format!("{key}=")).map(str::to_string))
        .collect()
}

impl Listed for Port {
    type Query = PortQuery;

    fn query(p: &ListParams, limit: Option<i64>) -> NResult<PortQuery> {
        Ok(PortQuery {
            ids: p.all("id"),
            network_id: p.all("network_id"),
            name: p.all("name"),
            project_id: p.project_ids(),
            device_id: p.all("device_id"),
            device_owner: p.all("device_owner"),
            mac_address: p.all("mac_address"),
            status: p.all("status"),
            ip_address: fixed_ip_filter(p, "ip_address"),
            ip_address_substr: fixed_ip_filter(p, "ip_address_substr"),
            subnet_id: fixed_ip_filter(p, "subnet_id"),
            marker: p.get("marker"),
            limit,
        })
    }

    async fn list(network: &NetworkService, ctx: &OpCtx, q: PortQuery) -> Result<Vec<Port>> {
        network.port_list(ctx, q).await
    }
}
