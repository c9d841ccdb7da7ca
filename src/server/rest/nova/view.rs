//! Nova's resources as its API shows them, one typed view each: what a microversion adds
//! is an `Option` that is left out below it (`#[serde(skip_serializing_if)]`), and
//! attributes only administrators see are a flattened `Option`.
//!
//! The bodies go through `serde_json::Value`, whose object keys are sorted, so the bytes
//! clients receive do not depend on the order the fields are declared in.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sha2::Digest;

use super::Mv;
use crate::server::services::compute::{
    Aggregate, Flavor, HostedServer, Hypervisor, HypervisorStatistics, HypervisorUsage,
    InstanceAction, InterfaceAttachment, Keypair, Migration, QuotaSet, Server, ServerGroup,
    ServerUsage, TenantUsage, UsageAudit, UsageReport, VolumeAttachment, Zone,
    LEGACY_NETWORK_QUOTAS,
};
use crate::server::services::image::Image;
use crate::server::services::network::InstanceNetworking;
use crate::server::state::AppState;
use crate::server::time::iso_seconds;

fn to_value(view: impl Serialize) -> Value {
    // A view is plain strings, numbers, maps and options: it always serializes.
    serde_json::to_value(view).unwrap_or_default()
}

use crate::server::rest::Null;

/// A link of a resource.
#[derive(Serialize)]
struct Link {
    rel: &'static str,
    href: String,
}

/// The `self` and `bookmark` links of the resource at `path` (`servers/ID`).
fn self_links(state: &AppState, path: &str) -> [Link; 2] {
    let base = state.public_url();
    [
        Link {
            rel: "self",
            href: format!("{base}/compute/v2.1/{path}"),
        },
        Link {
            rel: "bookmark",
            href: format!("{base}/compute/{path}"),
        },
    ]
}

/// An entry of a list without `detail` (`/servers`, `/flavors`): the id, the name, the
/// links, and a flavor's description from 2.55.
pub fn brief_view(
    state: &AppState,
    collection: &str,
    id: &str,
    name: &str,
    description: Option<Option<&str>>,
) -> Value {
    #[derive(Serialize)]
    struct BriefView<'a> {
        id: &'a str,
        name: &'a str,
        links: [Link; 2],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<Option<&'a str>>,
    }
    to_value(BriefView {
        id,
        name,
        links: self_links(state, &format!("{collection}/{id}")),
        description,
    })
}

/// The answer to a server's creation: where it is, and the attributes Nova names at once.
pub fn server_created_view(state: &AppState, s: &Server, admin_pass: &str) -> Value {
    #[derive(Serialize)]
    struct GroupName {
        name: &'static str,
    }
    #[derive(Serialize)]
    struct CreatedView<'a> {
        id: &'a str,
        links: [Link; 2],
        #[serde(rename = "OS-DCF:diskConfig")]
        disk_config: &'static str,
        security_groups: [GroupName; 1],
        #[serde(rename = "adminPass")]
        admin_pass: &'a str,
    }
    to_value(CreatedView {
        id: &s.id,
        links: self_links(state, &format!("servers/{}", s.id)),
        disk_config: s.labels.disk_config.as_str(),
        security_groups: [GroupName { name: "default" }],
        admin_pass,
    })
}

/// A value Nova writes as `""` when there is none.
#[derive(Serialize)]
#[serde(untagged)]
enum OrEmpty<T> {
    Value(T),
    Empty(&'static str),
}

fn or_empty<T>(v: Option<T>) -> OrEmpty<T> {
    v.map_or(OrEmpty::Empty(""), OrEmpty::Value)
}

/// A flavor (`/flavors`).
pub fn flavor_view(state: &AppState, f: &Flavor, mv: Mv) -> Value {
    #[derive(Serialize)]
    struct FlavorView<'a> {
        id: &'a str,
        name: &'a str,
        ram: i64,
        disk: i64,
        vcpus: i64,
        /// `""` for none, before 2.75.
        swap: OrEmpty<i64>,
        #[serde(rename = "OS-FLV-EXT-DATA:ephemeral")]
        ephemeral: i64,
        #[serde(rename = "OS-FLV-DISABLED:disabled")]
        disabled: bool,
        rxtx_factor: f64,
        #[serde(rename = "os-flavor-access:is_public")]
        is_public: bool,
        links: [Link; 2],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a Option<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        extra_specs: Option<&'a BTreeMap<String, String>>,
    }
    to_value(FlavorView {
        id: &f.id,
        name: &f.name,
        ram: f.ram,
        disk: f.disk,
        vcpus: f.vcpus,
        swap: or_empty((f.swap != 0 || mv.at_least(75)).then_some(f.swap)),
        ephemeral: f.ephemeral,
        disabled: f.disabled,
        rxtx_factor: f.rxtx_factor,
        is_public: f.is_public,
        links: self_links(state, &format!("flavors/{}", f.id)),
        description: mv.at_least(55).then_some(&f.description),
        extra_specs: mv.at_least(61).then_some(&f.extra_specs),
    })
}

/// A server's flavor: a copy of it from 2.47, a link to it before.
#[derive(Serialize)]
#[serde(untagged)]
enum ServerFlavor<'a> {
    Copy {
        vcpus: i64,
        ram: i64,
        disk: i64,
        ephemeral: i64,
        swap: i64,
        original_name: &'a str,
        extra_specs: &'a BTreeMap<String, String>,
    },
    Link {
        id: &'a str,
        links: [Link; 1],
    },
}

fn server_flavor<'a>(state: &AppState, f: &'a Flavor, mv: Mv) -> ServerFlavor<'a> {
    if mv.at_least(47) {
        ServerFlavor::Copy {
            vcpus: f.vcpus,
            ram: f.ram,
            disk: f.disk,
            ephemeral: f.ephemeral,
            swap: f.swap,
            original_name: &f.name,
            extra_specs: &f.extra_specs,
        }
    } else {
        ServerFlavor::Link {
            id: &f.id,
            links: [bookmark(state, "flavors", &f.id)],
        }
    }
}

fn bookmark(state: &AppState, collection: &str, id: &str) -> Link {
    Link {
        rel: "bookmark",
        href: format!("{}/compute/{collection}/{id}", state.public_url()),
    }
}

/// Nova's usage times (`OS-SRV-USG:*`, usage reports): microseconds, no zone.
pub(super) fn usage_time(t: Option<i64>) -> Option<String> {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
}

/// One of a server's addresses; in a server's body also its type and MAC.
#[derive(Serialize)]
struct AddressView<'a> {
    version: u8,
    addr: &'a str,
    #[serde(rename = "OS-EXT-IPS:type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(
        rename = "OS-EXT-IPS-MAC:mac_addr",
        skip_serializing_if = "Option::is_none"
    )]
    mac: Option<&'a str>,
}

/// Nova's `addresses`: per network name, each address (`extended`: with its type and MAC).
fn addresses(net: &InstanceNetworking, extended: bool) -> BTreeMap<&str, Vec<AddressView<'_>>> {
    let mut map: BTreeMap<&str, Vec<AddressView>> = BTreeMap::new();
    for a in &net.addresses {
        map.entry(&a.network_name).or_default().push(AddressView {
            version: a.version,
            addr: &a.addr,
            kind: extended.then_some(a.kind),
            mac: extended.then_some(a.mac.as_str()),
        });
    }
    map
}

/// `/servers/{id}/ips`: the addresses alone.
pub fn ips_view(net: &InstanceNetworking) -> Value {
    to_value(addresses(net, false))
}

/// A server (`/servers`); `show` is a single server's body (it adds `server_groups`).
pub fn server_view(
    state: &AppState,
    s: &Server,
    net: Option<&InstanceNetworking>,
    mv: Mv,
    admin: bool,
    show: bool,
) -> Value {
    #[derive(Serialize)]
    struct Named<'a> {
        name: &'a str,
    }
    #[derive(Serialize)]
    struct ImageLink<'a> {
        id: &'a str,
        links: [Link; 1],
    }
    #[derive(Serialize)]
    struct FaultView<'a> {
        code: i64,
        message: &'a str,
        created: String,
        /// Shown to administrators, and to everyone unless it was the cloud's fault (500).
        #[serde(skip_serializing_if = "Option::is_none")]
        details: Option<&'a Option<String>>,
    }
    /// Where it runs: for administrators.
    #[derive(Serialize)]
    struct Placement<'a> {
        #[serde(rename = "OS-EXT-SRV-ATTR:host")]
        host: &'a Option<String>,
        #[serde(rename = "OS-EXT-SRV-ATTR:hypervisor_hostname")]
        hypervisor_hostname: &'a Option<String>,
        #[serde(rename = "OS-EXT-SRV-ATTR:instance_name")]
        instance_name: String,
        #[serde(flatten)]
        extended: Option<Extended<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        host_status: Option<&'a str>,
    }
    /// The rest of the server attributes extension (2.3).
    #[derive(Serialize)]
    struct Extended<'a> {
        #[serde(rename = "OS-EXT-SRV-ATTR:hostname")]
        hostname: &'a str,
        #[serde(rename = "OS-EXT-SRV-ATTR:reservation_id")]
        reservation_id: String,
        #[serde(rename = "OS-EXT-SRV-ATTR:launch_index")]
        launch_index: i64,
        #[serde(rename = "OS-EXT-SRV-ATTR:kernel_id")]
        kernel_id: &'a str,
        #[serde(rename = "OS-EXT-SRV-ATTR:ramdisk_id")]
        ramdisk_id: &'a str,
        #[serde(rename = "OS-EXT-SRV-ATTR:root_device_name")]
        root_device_name: &'a str,
        #[serde(rename = "OS-EXT-SRV-ATTR:user_data")]
        user_data: &'a Option<String>,
    }
    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct ServerView<'a> {
        id: &'a str,
        name: &'a str,
        status: &'a str,
        tenant_id: &'a str,
        user_id: &'a str,
        metadata: &'a BTreeMap<String, String>,
        hostId: String,
        image: OrEmpty<ImageLink<'a>>,
        flavor: ServerFlavor<'a>,
        created: String,
        updated: String,
        addresses: BTreeMap<&'a str, Vec<AddressView<'a>>>,
        accessIPv4: &'a str,
        accessIPv6: &'a str,
        links: [Link; 2],
        #[serde(rename = "OS-DCF:diskConfig")]
        disk_config: &'a str,
        #[serde(rename = "OS-EXT-AZ:availability_zone")]
        availability_zone: &'a str,
        config_drive: &'a str,
        key_name: &'a Option<String>,
        #[serde(rename = "OS-SRV-USG:launched_at")]
        launched_at: Option<String>,
        #[serde(rename = "OS-SRV-USG:terminated_at")]
        terminated_at: Option<String>,
        #[serde(rename = "OS-EXT-STS:task_state")]
        task_state: Option<&'a str>,
        #[serde(rename = "OS-EXT-STS:vm_state")]
        vm_state: &'a str,
        #[serde(rename = "OS-EXT-STS:power_state")]
        power_state: i64,
        #[serde(rename = "os-extended-volumes:volumes_attached")]
        volumes_attached: [Null; 0],
        #[serde(skip_serializing_if = "Option::is_none")]
        security_groups: Option<Vec<Named<'a>>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        progress: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        fault: Option<FaultView<'a>>,
        #[serde(flatten)]
        placement: Option<Placement<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        locked: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<Null>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tags: Option<[Null; 0]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        trusted_image_certificates: Option<Null>,
        #[serde(skip_serializing_if = "Option::is_none")]
        server_groups: Option<Vec<&'a str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        locked_reason: Option<&'a Option<String>>,
    }
    let none = InstanceNetworking::default();
    let net = net.unwrap_or(&none);
    let short_id = &s.id[..8.min(s.id.len())];
    let status = s.status();
    to_value(ServerView {
        id: &s.id,
        name: &s.name,
        status,
        tenant_id: &s.project_id,
        user_id: &s.user_id,
        metadata: &s.metadata,
        hostId: s
            .host
            .as_ref()
            .map(|h| hex::encode(sha2::Sha224::digest(format!("{}{h}", s.project_id))))
            .unwrap_or_default(),
        image: or_empty(s.image_id.as_deref().map(|id| ImageLink {
            id,
            links: [bookmark(state, "images", id)],
        })),
        flavor: server_flavor(state, &s.flavor, mv),
        created: iso_seconds(s.created_at),
        updated: iso_seconds(s.updated_at),
        addresses: addresses(net, true),
        accessIPv4: &s.labels.access_ipv4,
        accessIPv6: &s.labels.access_ipv6,
        links: self_links(state, &format!("servers/{}", s.id)),
        disk_config: s.labels.disk_config.as_str(),
        availability_zone: &s.availability_zone,
        config_drive: if s.config_drive { "True" } else { "" },
        key_name: &s.key_name,
        launched_at: usage_time(s.launched_at),
        terminated_at: usage_time(s.terminated_at),
        task_state: s.task_state.map(|t| t.as_str()),
        vm_state: s.vm_state.as_str(),
        power_state: s.power_state.code(),
        volumes_attached: [],
        security_groups: (!net.security_groups.is_empty()).then(|| {
            net.security_groups
                .iter()
                .map(|name| Named { name })
                .collect()
        }),
        progress: matches!(status, "BUILD" | "ACTIVE").then_some(s.progress),
        fault: s
            .fault
            .as_ref()
            .filter(|_| matches!(status, "ERROR" | "DELETED"))
            .map(|f| FaultView {
                code: f.code,
                message: &f.message,
                created: iso_seconds(f.created),
                details: (admin || f.code != 500).then_some(&f.details),
            }),
        placement: admin.then(|| Placement {
            host: &s.host,
            hypervisor_hostname: &s.host,
            instance_name: format!("instance-{short_id}"),
            extended: mv.at_least(3).then(|| Extended {
                hostname: &s.hostname,
                reservation_id: format!("r-{short_id}"),
                launch_index: 0,
                kernel_id: "",
                ramdisk_id: "",
                root_device_name: "/dev/vda",
                user_data: &s.user_data,
            }),
            host_status: mv
                .at_least(16)
                .then_some(if s.host.is_some() { "UP" } else { "" }),
        }),
        locked: mv.at_least(9).then_some(s.locked),
        description: mv.at_least(19).then_some(None),
        tags: mv.at_least(26).then_some([]),
        trusted_image_certificates: mv.at_least(63).then_some(None),
        server_groups: (mv.at_least(71) && show)
            .then(|| s.server_group.iter().map(String::as_str).collect()),
        locked_reason: mv.at_least(73).then_some(&s.locked_reason),
    })
}

/// The server in the answer to an update or a rebuild: before 2.75 made it the whole
/// server, the basic fields and those later microversions added to these answers
/// (`key_name` on a rebuild from 2.54).
pub fn changed_server_view(
    state: &AppState,
    s: &Server,
    net: Option<&InstanceNetworking>,
    mv: Mv,
    admin: bool,
    rebuild: bool,
) -> Value {
    const BASIC: [&str; 24] = [
        "id",
        "name",
        "status",
        "image",
        "flavor",
        "fault",
        "user_id",
        "tenant_id",
        "created",
        "updated",
        "progress",
        "metadata",
        "links",
        "addresses",
        "hostId",
        "accessIPv4",
        "accessIPv6",
        "OS-DCF:diskConfig",
        "locked",
        "description",
        "tags",
        "trusted_image_certificates",
        "server_groups",
        "locked_reason",
    ];
    let mut view = server_view(state, s, net, mv, admin, true);
    if !mv.at_least(75) {
        if let Value::Object(fields) = &mut view {
            fields.retain(|k, _| {
                BASIC.contains(&k.as_str()) || (rebuild && mv.at_least(54) && k == "key_name")
            });
            // The basic addresses: no MAC and no type.
            if let Some(Value::Object(networks)) = fields.get_mut("addresses") {
                for list in networks.values_mut() {
                    for address in list.as_array_mut().into_iter().flatten() {
                        if let Value::Object(a) = address {
                            a.retain(|k, _| k == "addr" || k == "version");
                        }
                    }
                }
            }
        }
    }
    view
}

/// The links of an image through the proxy: Nova's own, and the image service's.
#[derive(Serialize)]
struct ImageLinkView {
    rel: &'static str,
    href: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

fn image_links(state: &AppState, id: &str) -> Vec<ImageLinkView> {
    let [this, mark] = self_links(state, &format!("images/{id}"));
    vec![
        ImageLinkView {
            rel: this.rel,
            href: this.href,
            kind: None,
        },
        ImageLinkView {
            rel: mark.rel,
            href: mark.href,
            kind: None,
        },
        ImageLinkView {
            rel: "alternate",
            href: format!("{}/image/v2/images/{id}", state.public_url()),
            kind: Some("application/vnd.openstack.image"),
        },
    ]
}

/// An image in the proxy's list (`/images`).
pub fn image_brief_view(state: &AppState, i: &Image) -> Value {
    #[derive(Serialize)]
    struct Brief<'a> {
        id: &'a str,
        name: &'a Option<String>,
        links: Vec<ImageLinkView>,
    }
    to_value(Brief {
        id: &i.id,
        name: &i.name,
        links: image_links(state, &i.id),
    })
}

/// An image in the proxy's detail (`/images/detail`, `/images/{id}`): Nova's status
/// and progress for Glance's status, the properties as metadata, and the server a
/// snapshot was taken of.
pub fn image_detail_view(state: &AppState, i: &Image) -> Value {
    #[derive(Serialize)]
    struct ServerRef {
        id: String,
        links: [Link; 2],
    }
    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct Detail<'a> {
        id: &'a str,
        name: &'a Option<String>,
        status: &'static str,
        progress: i64,
        minRam: i64,
        minDisk: i64,
        metadata: &'a BTreeMap<String, String>,
        created: String,
        updated: String,
        links: Vec<ImageLinkView>,
        #[serde(rename = "OS-EXT-IMG-SIZE:size")]
        size: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        server: Option<ServerRef>,
    }
    let (status, progress) = match i.status.as_str() {
        "active" => ("ACTIVE", 100),
        "queued" => ("SAVING", 25),
        "saving" | "importing" | "uploading" => ("SAVING", 50),
        "deleted" | "pending_delete" => ("DELETED", 0),
        "killed" => ("ERROR", 0),
        _ => ("UNKNOWN", 0),
    };
    to_value(Detail {
        id: &i.id,
        name: &i.name,
        status,
        progress,
        minRam: i.min_ram,
        minDisk: i.min_disk,
        metadata: &i.properties,
        created: iso_seconds(i.created_at),
        updated: iso_seconds(i.updated_at),
        links: image_links(state, &i.id),
        size: i.size,
        server: i.properties.get("instance_uuid").map(|id| ServerRef {
            id: id.clone(),
            links: self_links(state, &format!("servers/{id}")),
        }),
    })
}

/// A key pair (`/os-keypairs`): `type` from 2.2.
pub fn keypair_view(k: &Keypair, mv: Mv, shown: KeypairShown) -> Value {
    /// What `GET /os-keypairs/{name}` adds: Nova's bookkeeping of the row.
    #[derive(Serialize)]
    struct Bookkeeping {
        created_at: String,
        updated_at: Null,
        deleted: bool,
        deleted_at: Null,
        id: i64,
    }
    #[derive(Serialize)]
    struct KeypairView<'a> {
        name: &'a str,
        public_key: &'a str,
        fingerprint: &'a str,
        #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
        key_type: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        private_key: Option<&'a str>,
        #[serde(flatten)]
        bookkeeping: Option<Bookkeeping>,
    }
    let (owner, private_key, bookkeeping) = match shown {
        KeypairShown::Listed => (None, None, None),
        KeypairShown::Created { private_key } => (Some(k.user_id.as_str()), private_key, None),
        KeypairShown::Detail => (
            Some(k.user_id.as_str()),
            None,
            Some(Bookkeeping {
                created_at: iso_seconds(k.created_at),
                updated_at: None,
                deleted: false,
                deleted_at: None,
                id: 0,
            }),
        ),
    };
    to_value(KeypairView {
        name: &k.name,
        public_key: &k.public_key,
        fingerprint: &k.fingerprint,
        key_type: mv.at_least(2).then_some(k.key_type.as_str()),
        user_id: owner,
        private_key,
        bookkeeping,
    })
}

/// `/limits`: the project's quotas and what it uses, in the absolute limits' names.
pub fn limits_view(q: &QuotaSet, mv: Mv) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Personality {
        max_personality: i64,
        max_personality_size: i64,
    }
    /// Gone in 2.36, with the nova-network proxies.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct NetworkLimits {
        max_security_groups: i64,
        max_security_group_rules: i64,
        max_total_floating_ips: i64,
        total_security_groups_used: i64,
        total_floating_ips_used: i64,
    }
    /// Gone in 2.39, with the image proxy.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ImageLimits {
        max_image_meta: i64,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Absolute {
        max_total_instances: i64,
        max_total_cores: i64,
        #[serde(rename = "maxTotalRAMSize")]
        max_total_ram_size: i64,
        max_total_keypairs: i64,
        max_server_meta: i64,
        max_server_groups: i64,
        max_server_group_members: i64,
        total_instances_used: i64,
        total_cores_used: i64,
        #[serde(rename = "totalRAMUsed")]
        total_ram_used: i64,
        total_server_groups_used: i64,
        /// Gone in 2.57, with file injection.
        #[serde(flatten)]
        personality: Option<Personality>,
        #[serde(flatten)]
        network: Option<NetworkLimits>,
        #[serde(flatten)]
        image: Option<ImageLimits>,
    }
    #[derive(Serialize)]
    struct LimitsView {
        absolute: Absolute,
        rate: [(); 0],
    }
    let l = |r: &str| q.limits.get(r).copied().unwrap_or(-1);
    let u = |r: &str| q.in_use.get(r).copied().unwrap_or(0);
    to_value(LimitsView {
        absolute: Absolute {
            max_total_instances: l("instances"),
            max_total_cores: l("cores"),
            max_total_ram_size: l("ram"),
            max_total_keypairs: l("key_pairs"),
            max_server_meta: l("metadata_items"),
            max_server_groups: l("server_groups"),
            max_server_group_members: l("server_group_members"),
            total_instances_used: u("instances"),
            total_cores_used: u("cores"),
            total_ram_used: u("ram"),
            total_server_groups_used: 0,
            personality: (!mv.at_least(57)).then(|| Personality {
                max_personality: l("injected_files"),
                max_personality_size: l("injected_file_content_bytes"),
            }),
            network: (!mv.at_least(36)).then(|| NetworkLimits {
                max_security_groups: l("security_groups"),
                max_security_group_rules: l("security_group_rules"),
                max_total_floating_ips: l("floating_ips"),
                total_security_groups_used: 0,
                total_floating_ips_used: 0,
            }),
            image: (!mv.at_least(39)).then(|| ImageLimits {
                max_image_meta: l("metadata_items"),
            }),
        },
        rate: [],
    })
}

/// Which body shows a key pair: an entry of the list, the one just created (with the
/// private key when Nova generated it), or `GET /os-keypairs/{name}`.
pub enum KeypairShown<'a> {
    Listed,
    Created { private_key: Option<&'a str> },
    Detail,
}

/// A compute node's id: its UUID from 2.53, its number before.
#[derive(Serialize)]
#[serde(untagged)]
enum NodeId<'a> {
    Uuid(&'a str),
    Number(i64),
}

fn node_id(h: &Hypervisor, mv: Mv) -> NodeId<'_> {
    if mv.at_least(53) {
        NodeId::Uuid(&h.id)
    } else {
        NodeId::Number(h.num)
    }
}

/// What a hypervisor's guests use: (running guests, vCPUs, MB of RAM, GB of disk).
/// A hypervisor (`/os-hypervisors`); `detail` adds where it is and what it has.
pub fn hypervisor_view(
    h: &Hypervisor,
    used: &HypervisorUsage,
    servers: Option<&[HostedServer]>,
    uptime: Option<&str>,
    mv: Mv,
    detail: bool,
) -> Value {
    #[derive(Serialize)]
    struct ServerRef<'a> {
        name: &'a str,
        uuid: &'a str,
    }
    #[derive(Serialize)]
    struct ServiceRef<'a> {
        host: &'a str,
        id: NodeId<'a>,
        disabled_reason: &'a Option<String>,
    }
    #[derive(Serialize)]
    struct HostCapacity {
        #[serde(flatten)]
        capacity: Capacity,
        cpu_info: String,
    }
    #[derive(Serialize)]
    struct Detail<'a> {
        host_ip: &'a str,
        hypervisor_type: &'a str,
        hypervisor_version: i64,
        service: ServiceRef<'a>,
        #[serde(flatten)]
        capacity: Option<HostCapacity>,
        /// From 2.88 (the uptime API before it).
        #[serde(skip_serializing_if = "Option::is_none")]
        uptime: Option<Option<&'a str>>,
    }
    #[derive(Serialize)]
    struct HypervisorView<'a> {
        id: NodeId<'a>,
        hypervisor_hostname: &'a str,
        state: &'a str,
        status: &'a str,
        #[serde(flatten)]
        detail: Option<Detail<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        servers: Option<Vec<ServerRef<'a>>>,
    }
    let before_88 = !mv.at_least(88);
    // Asked for with `with_servers`: the hypervisor's instances, and from 2.75 an empty
    // list rather than no key when it runs none.
    let servers = servers
        .map(|all| {
            all.iter()
                .filter(|s| s.node_id == h.id)
                .map(|s| ServerRef {
                    name: &s.name,
                    uuid: &s.id,
                })
                .collect::<Vec<_>>()
        })
        .filter(|mine| !mine.is_empty() || mv.at_least(75));
    to_value(HypervisorView {
        id: node_id(h, mv),
        hypervisor_hostname: &h.host,
        state: "up",
        status: &h.status,
        detail: detail.then(|| Detail {
            host_ip: &h.host_ip,
            hypervisor_type: &h.hypervisor_type,
            hypervisor_version: h.hypervisor_version,
            service: ServiceRef {
                host: &h.host,
                id: node_id(h, mv),
                disabled_reason: &h.disabled_reason,
            },
            capacity: before_88.then(|| HostCapacity {
                capacity: Capacity::of(
                    (h.vcpus, h.memory_mb, h.local_gb),
                    (used.vcpus, used.memory_mb, used.disk_gb),
                    used.instances,
                ),
                // The CPU model as a JSON document in a string, as libvirt reports it.
                cpu_info: serde_json::from_str::<Value>(&h.cpu_info)
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            }),
            uptime: (!before_88).then_some(uptime),
        }),
        servers,
    })
}

/// The hypervisors' totals (`/os-hypervisors/statistics`, before 2.88).
pub fn statistics_view(s: &HypervisorStatistics) -> Value {
    #[derive(Serialize)]
    struct StatisticsView {
        count: i64,
        #[serde(flatten)]
        capacity: Capacity,
    }
    to_value(StatisticsView {
        count: s.count,
        capacity: Capacity::of(
            (s.vcpus, s.memory_mb, s.local_gb),
            (s.vcpus_used, s.memory_mb_used, s.local_gb_used),
            s.running_vms,
        ),
    })
}

/// A hypervisor's capacity and use (or all of theirs), which 2.88 moved to the placement
/// service.
#[derive(Serialize)]
struct Capacity {
    vcpus: i64,
    memory_mb: i64,
    local_gb: i64,
    vcpus_used: i64,
    memory_mb_used: i64,
    local_gb_used: i64,
    free_ram_mb: i64,
    free_disk_gb: i64,
    current_workload: i64,
    running_vms: i64,
    disk_available_least: i64,
}

impl Capacity {
    /// From (vCPUs, MB of RAM, GB of disk) had and used, and the running guests.
    fn of(had: (i64, i64, i64), used: (i64, i64, i64), running_vms: i64) -> Capacity {
        let ((vcpus, memory_mb, local_gb), (vcpus_used, memory_mb_used, local_gb_used)) =
            (had, used);
        Capacity {
            vcpus,
            memory_mb,
            local_gb,
            vcpus_used,
            memory_mb_used,
            local_gb_used,
            free_ram_mb: memory_mb - memory_mb_used,
            free_disk_gb: local_gb - local_gb_used,
            current_workload: 0,
            running_vms,
            disk_available_least: local_gb - local_gb_used,
        }
    }
}

/// A compute service (`/os-services`): one `nova-compute` per hypervisor.
pub fn service_view(h: &Hypervisor, zone: &str, mv: Mv) -> Value {
    #[derive(Serialize)]
    struct ServiceView<'a> {
        id: NodeId<'a>,
        binary: &'a str,
        host: &'a str,
        zone: &'a str,
        status: &'a str,
        state: &'a str,
        updated_at: String,
        disabled_reason: &'a Option<String>,
        /// From 2.11.
        #[serde(skip_serializing_if = "Option::is_none")]
        forced_down: Option<bool>,
    }
    to_value(ServiceView {
        id: node_id(h, mv),
        binary: "nova-compute",
        host: &h.host,
        zone,
        status: &h.status,
        state: "up",
        updated_at: iso_seconds(h.updated_at),
        disabled_reason: &h.disabled_reason,
        forced_down: mv.at_least(11).then_some(false),
    })
}

/// An interface attachment (`/servers/{id}/os-interface`): `tag` from 2.70.
pub fn interface_view(a: &InterfaceAttachment, mv: Mv) -> Value {
    #[derive(Serialize)]
    struct FixedIp<'a> {
        ip_address: &'a str,
        subnet_id: &'a str,
    }
    #[derive(Serialize)]
    struct InterfaceView<'a> {
        port_id: &'a str,
        net_id: &'a str,
        mac_addr: &'a str,
        port_state: &'a str,
        fixed_ips: Vec<FixedIp<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tag: Option<Null>,
    }
    to_value(InterfaceView {
        port_id: &a.port_id,
        net_id: &a.net_id,
        mac_addr: &a.mac_addr,
        port_state: &a.port_state,
        fixed_ips: a
            .fixed_ips
            .iter()
            .map(|(ip_address, subnet_id)| FixedIp {
                ip_address,
                subnet_id,
            })
            .collect(),
        tag: mv.at_least(70).then_some(None),
    })
}

/// A quota set: its id (a project's or a class's; none in an update's answer) and each
/// limit the microversion shows (2.57 dropped the injected-file ones).
pub fn quota_view(id: Option<&str>, limits: &BTreeMap<String, i64>, mv: Mv) -> Value {
    quota_set(id, limits, mv, |_, limit| limit)
}

/// A project's quota set with what it uses of each limit (`/os-quota-sets/{id}/detail`).
pub fn quota_detail_view(
    id: &str,
    limits: &BTreeMap<String, i64>,
    in_use: impl Fn(&str) -> i64,
    mv: Mv,
) -> Value {
    #[derive(Serialize)]
    struct Detail {
        limit: i64,
        in_use: i64,
        reserved: i64,
    }
    quota_set(Some(id), limits, mv, |resource, limit| Detail {
        limit,
        in_use: in_use(resource),
        reserved: 0,
    })
}

fn quota_set<V: Serialize>(
    id: Option<&str>,
    limits: &BTreeMap<String, i64>,
    mv: Mv,
    value: impl Fn(&str, i64) -> V,
) -> Value {
    #[derive(Serialize)]
    struct QuotaView<'a, V> {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        #[serde(flatten)]
        limits: BTreeMap<&'a str, V>,
    }
    to_value(QuotaView {
        id,
        limits: limits
            .iter()
            .filter(|(r, _)| quota_shown(r, mv))
            .map(|(r, l)| (r.as_str(), value(r, *l)))
            .collect(),
    })
}

/// Whether a microversion shows (and takes) a quota resource: 2.36 dropped the
/// nova-network ones, 2.57 the injected-file ones.
pub fn quota_shown(resource: &str, mv: Mv) -> bool {
    let network = LEGACY_NETWORK_QUOTAS.iter().any(|(r, _)| *r == resource);
    !(mv.at_least(57) && resource.starts_with("injected_file") || mv.at_least(36) && network)
}

/// The edges of a usage report's window: microseconds, no zone.
fn window(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// An instance usage audit: the hosts that have not audited the period, and the totals
/// of those that have (none: no audit task runs).
pub fn audit_view(a: &UsageAudit) -> Value {
    #[derive(Serialize)]
    struct AuditView<'a> {
        hosts_not_run: &'a [String],
        log: BTreeMap<String, ()>,
        num_hosts: usize,
        num_hosts_done: usize,
        num_hosts_not_run: usize,
        num_hosts_running: usize,
        overall_status: String,
        period_beginning: String,
        period_ending: String,
        total_errors: i64,
        total_instances: i64,
    }
    let hosts = a.hosts_not_run.len();
    let time = |t: &chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    to_value(AuditView {
        hosts_not_run: &a.hosts_not_run,
        log: BTreeMap::new(),
        num_hosts: hosts,
        num_hosts_done: 0,
        num_hosts_not_run: hosts,
        num_hosts_running: 0,
        overall_status: format!("0 of {hosts} hosts done. 0 errors."),
        period_beginning: time(&a.period_beginning),
        period_ending: time(&a.period_ending),
        total_errors: 0,
        total_instances: 0,
    })
}

/// A project's usage in a window (`/os-simple-tenant-usage`); `detailed` adds each server's.
pub fn tenant_usage_view(r: &UsageReport, t: &TenantUsage, detailed: bool) -> Value {
    #[derive(Serialize)]
    struct ServerUsageView<'a> {
        instance_id: &'a str,
        name: &'a str,
        tenant_id: &'a str,
        flavor: &'a str,
        vcpus: i64,
        memory_mb: i64,
        local_gb: i64,
        hours: f64,
        started_at: Option<String>,
        ended_at: Option<String>,
        state: &'a str,
        uptime: i64,
    }
    #[derive(Serialize)]
    struct TenantUsageView<'a> {
        tenant_id: &'a str,
        total_hours: f64,
        total_vcpus_usage: f64,
        total_memory_mb_usage: f64,
        total_local_gb_usage: f64,
        start: String,
        stop: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        server_usages: Option<Vec<ServerUsageView<'a>>>,
    }
    fn server(s: &ServerUsage) -> ServerUsageView<'_> {
        ServerUsageView {
            instance_id: &s.instance_id,
            name: &s.name,
            tenant_id: &s.tenant_id,
            flavor: &s.flavor,
            vcpus: s.vcpus,
            memory_mb: s.memory_mb,
            local_gb: s.local_gb,
            hours: s.hours,
            started_at: usage_time(Some(s.started_at)),
            ended_at: usage_time(s.ended_at),
            state: &s.state,
            uptime: s.uptime,
        }
    }
    to_value(TenantUsageView {
        tenant_id: &t.tenant_id,
        total_hours: t.total_hours,
        total_vcpus_usage: t.total_vcpus_usage,
        total_memory_mb_usage: t.total_memory_mb_usage,
        total_local_gb_usage: t.total_local_gb_usage,
        start: window(r.start),
        stop: window(r.stop),
        server_usages: detailed.then(|| t.server_usages.iter().map(server).collect()),
    })
}

/// An instance action (`/servers/{id}/os-instance-actions`); `with_events` adds its events
/// (their tracebacks for administrators only).
pub fn action_view(a: &InstanceAction, mv: Mv, with_events: bool, admin: bool) -> Value {
    #[derive(Serialize)]
    struct ActionView<'a> {
        action: &'a str,
        instance_uuid: &'a str,
        message: &'a Option<String>,
        project_id: &'a str,
        request_id: &'a str,
        start_time: String,
        user_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        updated_at: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        events: Option<Vec<Value>>,
    }
    // The events are stored as the JSON Nova shows, with epoch times.
    let events = || {
        serde_json::from_str::<Vec<Value>>(&a.events)
            .unwrap_or_default()
            .into_iter()
            .map(|mut e| {
                for k in ["start_time", "finish_time"] {
                    if let Some(t) = e.get(k).and_then(Value::as_i64) {
                        e[k] = Value::String(iso_seconds(t));
                    }
                }
                if !admin {
                    if let Some(o) = e.as_object_mut() {
                        o.remove("traceback");
                    }
                }
                e
            })
            .collect()
    };
    to_value(ActionView {
        action: &a.action,
        instance_uuid: &a.instance_id,
        message: &a.message,
        project_id: &a.project_id,
        request_id: &a.request_id,
        start_time: iso_seconds(a.start_time),
        user_id: &a.user_id,
        updated_at: mv
            .at_least(58)
            .then(|| iso_seconds(a.finish_time.unwrap_or(a.start_time))),
        events: with_events.then(events),
    })
}

/// `{"availabilityZoneInfo": […]}`: the zones; with `detail` (administrators), each with
/// its hosts and their compute services, and the zone `internal` with this controller's
/// scheduler and conductor, as Nova shows them.
pub fn availability_zones_view(zones: &[Zone], detail: bool, controller: &str) -> Value {
    #[derive(Serialize)]
    struct ZoneState {
        available: bool,
    }
    #[derive(Serialize)]
    struct ServiceState {
        available: bool,
        active: bool,
        updated_at: Option<String>,
    }
    type HostServices<'a> = BTreeMap<&'a str, BTreeMap<&'static str, ServiceState>>;
    #[derive(Serialize)]
    struct ZoneView<'a> {
        #[serde(rename = "zoneName")]
        zone_name: &'a str,
        #[serde(rename = "zoneState")]
        zone_state: ZoneState,
        hosts: Option<HostServices<'a>>,
    }
    #[derive(Serialize)]
    struct Zones<'a> {
        #[serde(rename = "availabilityZoneInfo")]
        info: Vec<ZoneView<'a>>,
    }
    let mut info: Vec<ZoneView> = zones
        .iter()
        .map(|z| ZoneView {
            zone_name: &z.name,
            zone_state: ZoneState { available: true },
            hosts: detail.then(|| {
                z.hosts
                    .iter()
                    .map(|h| {
                        let state = ServiceState {
                            available: h.status == "enabled",
                            active: true,
                            updated_at: Some(iso_seconds(h.updated_at)),
                        };
                        (h.host.as_str(), BTreeMap::from([("nova-compute", state)]))
                    })
                    .collect()
            }),
        })
        .collect();
    if detail {
        let up = || ServiceState {
            available: true,
            active: true,
            updated_at: None,
        };
        info.push(ZoneView {
            zone_name: "internal",
            zone_state: ZoneState { available: true },
            hosts: Some(BTreeMap::from([(
                controller,
                BTreeMap::from([("nova-conductor", up()), ("nova-scheduler", up())]),
            )])),
        });
    }
    to_value(Zones { info })
}

/// `{"volumeAttachments": […]}`: the volumes attached to a server.
pub fn volume_attachments_view(list: &[VolumeAttachment]) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct AttachmentView<'a> {
        id: &'a str,
        volume_id: &'a str,
        server_id: &'a str,
        device: &'a str,
    }
    let views: Vec<AttachmentView> = list
        .iter()
        .map(|a| AttachmentView {
            id: &a.volume_id,
            volume_id: &a.volume_id,
            server_id: &a.server_id,
            device: &a.device,
        })
        .collect();
    serde_json::json!({ "volumeAttachments": views })
}

/// A host aggregate (`/os-aggregates`): `uuid` from 2.41; `hosts` and `metadata` everywhere
/// but in the create answer (`full`).
pub fn aggregate_view(a: &Aggregate, mv: Mv, full: bool) -> Value {
    #[derive(Serialize)]
    struct Contents<'a> {
        hosts: &'a [String],
        metadata: BTreeMap<String, String>,
    }
    #[derive(Serialize)]
    struct AggregateView<'a> {
        id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        uuid: Option<&'a str>,
        name: &'a str,
        availability_zone: &'a Option<String>,
        created_at: String,
        updated_at: Option<String>,
        deleted: bool,
        deleted_at: Null,
        #[serde(flatten)]
        contents: Option<Contents<'a>>,
    }
    to_value(AggregateView {
        id: a.num,
        uuid: mv.at_least(41).then_some(a.id.as_str()),
        name: &a.name,
        availability_zone: &a.availability_zone,
        created_at: iso_seconds(a.created_at),
        updated_at: a.updated_at.map(iso_seconds),
        deleted: false,
        deleted_at: None,
        contents: full.then(|| Contents {
            hosts: &a.hosts,
            metadata: a.shown_metadata(),
        }),
    })
}

/// A server group (`/os-server-groups`): `project_id` and `user_id` from 2.13; `policy`
/// and `rules` in place of `policies` and `metadata` from 2.64.
pub fn server_group_view(g: &ServerGroup, mv: Mv) -> Value {
    #[derive(Serialize)]
    struct Rules {
        #[serde(skip_serializing_if = "Option::is_none")]
        max_server_per_host: Option<i64>,
    }
    #[derive(Serialize)]
    struct Owner<'a> {
        project_id: &'a str,
        user_id: &'a str,
    }
    #[derive(Serialize)]
    struct Before264<'a> {
        policies: [&'a str; 1],
        metadata: BTreeMap<String, String>,
    }
    #[derive(Serialize)]
    struct From264<'a> {
        policy: &'a str,
        rules: Rules,
    }
    #[derive(Serialize)]
    struct GroupView<'a> {
        id: &'a str,
        name: &'a str,
        members: Vec<&'a str>,
        #[serde(flatten)]
        owner: Option<Owner<'a>>,
        #[serde(flatten)]
        before: Option<Before264<'a>>,
        #[serde(flatten)]
        from: Option<From264<'a>>,
    }
    let policy = g.policy.as_str();
    let modern = mv.at_least(64);
    to_value(GroupView {
        id: &g.id,
        name: &g.name,
        members: g.member_ids(),
        owner: mv.at_least(13).then_some(Owner {
            project_id: &g.project_id,
            user_id: &g.user_id,
        }),
        before: (!modern).then(|| Before264 {
            policies: [policy],
            metadata: BTreeMap::new(),
        }),
        from: modern.then_some(From264 {
            policy,
            rules: Rules {
                max_server_per_host: g.max_server_per_host,
            },
        }),
    })
}

/// A migration (`/os-migrations`): `migration_type` from 2.23, `uuid` from 2.59. Nova's
/// integer flavor ids (`old_instance_type_id`) do not exist here: they are `null`.
pub fn migration_view(m: &Migration, mv: Mv) -> Value {
    #[derive(Serialize)]
    struct MigrationView<'a> {
        id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        uuid: Option<&'a str>,
        status: &'a str,
        instance_uuid: &'a str,
        source_compute: &'a Option<String>,
        source_node: &'a Option<String>,
        dest_compute: &'a Option<String>,
        dest_node: &'a Option<String>,
        dest_host: Option<String>,
        old_instance_type_id: Null,
        new_instance_type_id: Null,
        created_at: String,
        updated_at: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        migration_type: Option<&'a str>,
    }
    to_value(MigrationView {
        id: m.num,
        uuid: mv.at_least(59).then_some(m.id.as_str()),
        status: &m.status,
        instance_uuid: &m.instance_id,
        source_compute: &m.source_compute,
        source_node: &m.source_compute,
        dest_compute: &m.dest_compute,
        dest_node: &m.dest_compute,
        dest_host: m.dest_compute.clone(),
        old_instance_type_id: None,
        new_instance_type_id: None,
        created_at: iso_seconds(m.created_at),
        updated_at: m.updated_at.map(iso_seconds),
        migration_type: mv.at_least(23).then_some(m.migration_type.as_str()),
    })
}
