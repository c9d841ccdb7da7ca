//! `/extensions`: the legacy list of Nova's API extensions, naming those whose calls this
//! controller answers (Nova itself still serves the list; clients and Tempest read it).

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::state::AppState;

/// (name, alias, description) of each extension whose calls are answered.
const EXTENSIONS: [(&str, &str, &str); 22] = [
    (
        "AttachInterfaces",
        "os-attach-interfaces",
        "Attach interface support.",
    ),
    (
        "AvailabilityZone",
        "os-availability-zone",
        "The availability zone.",
    ),
    ("Consoles", "os-consoles", "Interactive Console support."),
    (
        "ConsoleOutput",
        "os-console-output",
        "Console log output support.",
    ),
    ("DiskConfig", "OS-DCF", "Disk Management Extension."),
    (
        "ExtendedAvailabilityZone",
        "OS-EXT-AZ",
        "Extended Availability Zone support.",
    ),
    (
        "ExtendedServerAttributes",
        "OS-EXT-SRV-ATTR",
        "Extended Server Attributes support.",
    ),
    ("ExtendedStatus", "OS-EXT-STS", "Extended Status support."),
    ("FlavorAccess", "os-flavor-access", "Flavor access support."),
    (
        "FlavorExtraData",
        "OS-FLV-EXT-DATA",
        "Provide additional data for flavors.",
    ),
    (
        "FlavorExtraSpecs",
        "os-flavor-extra-specs",
        "Flavors extra specs support.",
    ),
    ("Hosts", "os-hosts", "Admin-only host administration."),
    (
        "Hypervisors",
        "os-hypervisors",
        "Admin-only hypervisor administration.",
    ),
    (
        "InstanceActions",
        "os-instance-actions",
        "View a log of actions and events taken on an instance.",
    ),
    ("Keypairs", "os-keypairs", "Keypair Support."),
    ("Quotas", "os-quota-sets", "Quotas management support."),
    (
        "QuotaClasses",
        "os-quota-class-sets",
        "Quota classes management support.",
    ),
    (
        "RemoteConsoles",
        "os-remote-consoles",
        "Interactive Console support.",
    ),
    (
        "SecurityGroups",
        "os-security-groups",
        "Security group support.",
    ),
    (
        "ServerUsage",
        "OS-SRV-USG",
        "Adds launched_at and terminated_at on Servers.",
    ),
    ("Services", "os-services", "Services support."),
    (
        "SimpleTenantUsage",
        "os-simple-tenant-usage",
        "Simple tenant usage extension.",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/extensions", get(list))
        .route("/extensions/{alias}", get(show))
}

fn view((name, alias, description): (&str, &str, &str)) -> Value {
    json!({
        "name": name,
        "alias": alias,
        "description": description,
        "namespace": "http://docs.openstack.org/compute/ext/fake_xml",
        "updated": "2014-12-03T00:00:00Z",
        "links": [],
    })
}

async fn list(_nova: Nova) -> Json<Value> {
    Json(json!({ "extensions": EXTENSIONS.map(view) }))
}

async fn show(_nova: Nova, Path(alias): Path<String>) -> NResult<Json<Value>> {
    let found = EXTENSIONS
        .into_iter()
        .find(|(_, a, _)| *a == alias)
        .ok_or_else(|| NovaError(Error::not_found("extension", &alias)))?;
    Ok(Json(json!({ "extension": view(found) })))
}
