//! The isolation matrix. Every REST route, read from the routers' source (a route added
//! without a row in [`EXPECTED`] fails the test), and every server function, from the
//! registry the portal serves them from, is called as five callers: anonymous, a garbage
//! token, a member of another project, and the reader and the member of project A, which
//! owns one resource of each kind the paths name. One table says what each may do; the
//! test counts leaks (a 2xx where a refusal was due) and wrong denials (a 401 or 403
//! where the call was allowed), and wants none of either.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::compute::upload_image;
use crate::helpers::{spawn_app, TestApp};

/// Who may do what, per route and method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum May {
    /// Everyone, without a token (version documents, logging in).
    Public,
    /// Every authenticated caller.
    Anyone,
    /// A's reader and member; another project's member is refused.
    OwnRead,
    /// A's member only; the reader and another project are refused.
    OwnWrite,
    /// A member of any project (making something in its own); readers are refused.
    AnyMember,
    /// The user the path names (A's member); everyone else is refused.
    SelfOnly,
    /// Administrators only.
    Admin,
}
use May::*;

/// One row per method and route (the path as the routers spell it, under the service's
/// mount point). `GET` rows cover `HEAD` too.
const EXPECTED: &[(&str, May)] = &[
    // Identity.
    ("GET /identity/", Public),
    ("GET /identity/v3", Public),
    ("GET /identity/v3/", Public),
    ("GET /identity/v3/auth/tokens", Anyone),
    ("HEAD /identity/v3/auth/tokens", Anyone),
    ("POST /identity/v3/auth/tokens", Public),
    ("DELETE /identity/v3/auth/tokens", Anyone),
    ("GET /identity/v3/auth/projects", Anyone),
    ("GET /identity/v3/auth/domains", Anyone),
    ("GET /identity/v3/auth/catalog", Anyone),
    ("GET /identity/v3/auth/system", Anyone),
    (
        "GET /identity/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/inherited_to_projects",
        Admin,
    ),
    (
        "GET /identity/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/inherited_to_projects",
        Admin,
    ),
    (
        "PUT /identity/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "GET /identity/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "HEAD /identity/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "DELETE /identity/v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "PUT /identity/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "GET /identity/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "HEAD /identity/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "DELETE /identity/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "PUT /identity/v3/OS-INHERIT/projects/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "GET /identity/v3/OS-INHERIT/projects/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "HEAD /identity/v3/OS-INHERIT/projects/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "DELETE /identity/v3/OS-INHERIT/projects/{target_id}/users/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "PUT /identity/v3/OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "GET /identity/v3/OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "HEAD /identity/v3/OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    (
        "DELETE /identity/v3/OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles/{role_id}/inherited_to_projects",
        Admin,
    ),
    ("GET /identity/v3/policies", Admin),
    ("POST /identity/v3/policies", Admin),
    ("GET /identity/v3/policies/{id}", Admin),
    ("PATCH /identity/v3/policies/{id}", Admin),
    ("DELETE /identity/v3/policies/{id}", Admin),
    ("GET /identity/v3/OS-EP-FILTER/endpoint_groups", Admin),
    ("POST /identity/v3/OS-EP-FILTER/endpoint_groups", Admin),
    ("GET /identity/v3/OS-EP-FILTER/endpoint_groups/{id}", Admin),
    ("PATCH /identity/v3/OS-EP-FILTER/endpoint_groups/{id}", Admin),
    ("DELETE /identity/v3/OS-EP-FILTER/endpoint_groups/{id}", Admin),
    (
        "GET /identity/v3/OS-EP-FILTER/endpoint_groups/{id}/endpoints",
        Admin,
    ),
    (
        "GET /identity/v3/OS-EP-FILTER/endpoint_groups/{id}/projects",
        Admin,
    ),
    (
        "GET /identity/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
        Admin,
    ),
    (
        "PUT /identity/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
        Admin,
    ),
    (
        "GET /identity/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups",
        Admin,
    ),
    ("GET /identity/v3/OS-OAUTH1/consumers", Admin),
    ("POST /identity/v3/OS-OAUTH1/consumers", Admin),
    ("GET /identity/v3/OS-OAUTH1/consumers/{id}", Admin),
    ("PATCH /identity/v3/OS-OAUTH1/consumers/{id}", Admin),
    ("DELETE /identity/v3/OS-OAUTH1/consumers/{id}", Admin),
    ("GET /identity/v3/users/{user_id}/access_rules", SelfOnly),
    ("GET /identity/v3/users/{user_id}/access_rules/{id}", SelfOnly),
    ("DELETE /identity/v3/users/{user_id}/access_rules/{id}", SelfOnly),
    ("GET /identity/v3/projects/{id}/tags", OwnRead),
    ("PUT /identity/v3/projects/{id}/tags", Admin),
    ("DELETE /identity/v3/projects/{id}/tags", Admin),
    ("GET /identity/v3/projects/{id}/tags/{tag}", OwnRead),
    ("HEAD /identity/v3/projects/{id}/tags/{tag}", OwnRead),
    ("PUT /identity/v3/projects/{id}/tags/{tag}", Admin),
    ("DELETE /identity/v3/projects/{id}/tags/{tag}", Admin),
    ("GET /identity/v3/credentials", Anyone),
    ("POST /identity/v3/credentials", Anyone),
    ("GET /identity/v3/credentials/{id}", SelfOnly),
    ("PATCH /identity/v3/credentials/{id}", SelfOnly),
    ("DELETE /identity/v3/credentials/{id}", SelfOnly),
    (
        "GET /identity/v3/users/{user_id}/credentials/OS-EC2",
        SelfOnly,
    ),
    (
        "POST /identity/v3/users/{user_id}/credentials/OS-EC2",
        SelfOnly,
    ),
    (
        "GET /identity/v3/users/{user_id}/credentials/OS-EC2/{access}",
        SelfOnly,
    ),
    (
        "DELETE /identity/v3/users/{user_id}/credentials/OS-EC2/{access}",
        SelfOnly,
    ),
    (
        "GET /identity/v3/users/{user_id}/application_credentials",
        SelfOnly,
    ),
    (
        "POST /identity/v3/users/{user_id}/application_credentials",
        SelfOnly,
    ),
    (
        "GET /identity/v3/users/{user_id}/application_credentials/{id}",
        SelfOnly,
    ),
    (
        "DELETE /identity/v3/users/{user_id}/application_credentials/{id}",
        SelfOnly,
    ),
    ("GET /identity/v3/regions", Anyone),
    ("POST /identity/v3/regions", Admin),
    ("GET /identity/v3/regions/{id}", Anyone),
    ("PUT /identity/v3/regions/{id}", Admin),
    ("PATCH /identity/v3/regions/{id}", Admin),
    ("DELETE /identity/v3/regions/{id}", Admin),
    ("GET /identity/v3/services", Admin),
    ("POST /identity/v3/services", Admin),
    ("GET /identity/v3/services/{id}", Admin),
    ("PATCH /identity/v3/services/{id}", Admin),
    ("DELETE /identity/v3/services/{id}", Admin),
    ("GET /identity/v3/endpoints", Admin),
    ("POST /identity/v3/endpoints", Admin),
    ("GET /identity/v3/endpoints/{id}", Admin),
    ("PATCH /identity/v3/endpoints/{id}", Admin),
    ("DELETE /identity/v3/endpoints/{id}", Admin),
    ("GET /identity/v3/domains", Admin),
    ("POST /identity/v3/domains", Admin),
    ("GET /identity/v3/domains/{id}", Anyone),
    ("PATCH /identity/v3/domains/{id}", Admin),
    ("DELETE /identity/v3/domains/{id}", Admin),
    ("GET /identity/v3/projects", Admin),
    ("POST /identity/v3/projects", Admin),
    ("GET /identity/v3/projects/{id}", OwnRead),
    ("PATCH /identity/v3/projects/{id}", Admin),
    ("DELETE /identity/v3/projects/{id}", Admin),
    ("GET /identity/v3/roles", Admin),
    ("POST /identity/v3/roles", Admin),
    ("GET /identity/v3/roles/{id}", Admin),
    ("PATCH /identity/v3/roles/{id}", Admin),
    ("DELETE /identity/v3/roles/{id}", Admin),
    ("GET /identity/v3/roles/{id}/implies", Admin),
    ("PUT /identity/v3/roles/{id}/implies/{implied}", Admin),
    ("GET /identity/v3/roles/{id}/implies/{implied}", Admin),
    ("HEAD /identity/v3/roles/{id}/implies/{implied}", Admin),
    ("DELETE /identity/v3/roles/{id}/implies/{implied}", Admin),
    ("GET /identity/v3/role_inferences", Admin),
    ("GET /identity/v3/role_assignments", Admin),
    ("GET /identity/v3/users", Admin),
    ("POST /identity/v3/users", Admin),
    ("GET /identity/v3/users/{id}", SelfOnly),
    ("PATCH /identity/v3/users/{id}", Admin),
    ("DELETE /identity/v3/users/{id}", Admin),
    ("POST /identity/v3/users/{id}/password", SelfOnly),
    ("GET /identity/v3/users/{id}/projects", SelfOnly),
    ("GET /identity/v3/users/{id}/groups", SelfOnly),
    ("GET /identity/v3/groups", Admin),
    ("POST /identity/v3/groups", Admin),
    ("GET /identity/v3/groups/{id}", Admin),
    ("PATCH /identity/v3/groups/{id}", Admin),
    ("DELETE /identity/v3/groups/{id}", Admin),
    ("GET /identity/v3/groups/{id}/users", Admin),
    ("PUT /identity/v3/groups/{id}/users/{user_id}", Admin),
    ("HEAD /identity/v3/groups/{id}/users/{user_id}", Admin),
    ("DELETE /identity/v3/groups/{id}/users/{user_id}", Admin),
    (
        "GET /identity/v3/projects/{target_id}/users/{actor_id}/roles",
        Admin,
    ),
    (
        "PUT /identity/v3/projects/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/projects/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "HEAD /identity/v3/projects/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/projects/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/projects/{target_id}/groups/{actor_id}/roles",
        Admin,
    ),
    (
        "PUT /identity/v3/projects/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/projects/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "HEAD /identity/v3/projects/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/projects/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/domains/{target_id}/users/{actor_id}/roles",
        Admin,
    ),
    (
        "PUT /identity/v3/domains/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/domains/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "HEAD /identity/v3/domains/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/domains/{target_id}/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/domains/{target_id}/groups/{actor_id}/roles",
        Admin,
    ),
    (
        "PUT /identity/v3/domains/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/domains/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "HEAD /identity/v3/domains/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/domains/{target_id}/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    ("GET /identity/v3/system/users/{actor_id}/roles", Admin),
    (
        "PUT /identity/v3/system/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/system/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "HEAD /identity/v3/system/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/system/users/{actor_id}/roles/{role_id}",
        Admin,
    ),
    ("GET /identity/v3/system/groups/{actor_id}/roles", Admin),
    (
        "PUT /identity/v3/system/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "GET /identity/v3/system/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "HEAD /identity/v3/system/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    (
        "DELETE /identity/v3/system/groups/{actor_id}/roles/{role_id}",
        Admin,
    ),
    // Image.
    ("GET /image/", Public),
    ("GET /image/versions", Public),
    ("GET /image/v2", Public),
    ("GET /image/v2/", Public),
    ("GET /image/v2/images", Anyone),
    ("POST /image/v2/images", AnyMember),
    ("GET /image/v2/images/{id}", OwnRead),
    ("PATCH /image/v2/images/{id}", OwnWrite),
    ("DELETE /image/v2/images/{id}", OwnWrite),
    ("GET /image/v2/images/{id}/file", OwnRead),
    ("GET /image/v2/images/{id}/tasks", OwnRead),
    ("GET /image/v2/metadefs/namespaces", Anyone),
    ("POST /image/v2/metadefs/namespaces", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}", Anyone),
    ("PUT /image/v2/metadefs/namespaces/{ns}", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}/objects", Anyone),
    ("POST /image/v2/metadefs/namespaces/{ns}/objects", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}/objects", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}/objects/{name}", Anyone),
    ("PUT /image/v2/metadefs/namespaces/{ns}/objects/{name}", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}/objects/{name}", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}/properties", Anyone),
    ("POST /image/v2/metadefs/namespaces/{ns}/properties", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}/properties", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}/properties/{name}", Anyone),
    ("PUT /image/v2/metadefs/namespaces/{ns}/properties/{name}", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}/properties/{name}", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}/tags", Anyone),
    ("POST /image/v2/metadefs/namespaces/{ns}/tags", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}/tags", Admin),
    ("GET /image/v2/metadefs/namespaces/{ns}/tags/{name}", Anyone),
    ("POST /image/v2/metadefs/namespaces/{ns}/tags/{name}", Admin),
    ("PUT /image/v2/metadefs/namespaces/{ns}/tags/{name}", Admin),
    ("DELETE /image/v2/metadefs/namespaces/{ns}/tags/{name}", Admin),
    ("GET /image/v2/metadefs/resource_types", Anyone),
    ("GET /image/v2/metadefs/namespaces/{ns}/resource_types", Anyone),
    ("POST /image/v2/metadefs/namespaces/{ns}/resource_types", Admin),
    (
        "DELETE /image/v2/metadefs/namespaces/{ns}/resource_types/{name}",
        Admin,
    ),
    ("GET /image/v2/schemas/metadefs/{which}", Anyone),
    ("PUT /image/v2/images/{id}/file", OwnWrite),
    ("POST /image/v2/images/{id}/actions/deactivate", OwnWrite),
    ("POST /image/v2/images/{id}/actions/reactivate", OwnWrite),
    ("PUT /image/v2/images/{id}/tags/{tag}", OwnWrite),
    ("DELETE /image/v2/images/{id}/tags/{tag}", OwnWrite),
    ("GET /image/v2/images/{id}/members", OwnRead),
    ("POST /image/v2/images/{id}/members", OwnWrite),
    ("GET /image/v2/images/{id}/members/{member_id}", OwnRead),
    ("PUT /image/v2/images/{id}/members/{member_id}", OwnWrite),
    ("DELETE /image/v2/images/{id}/members/{member_id}", OwnWrite),
    ("GET /image/v2/schemas/image", Anyone),
    ("GET /image/v2/schemas/images", Anyone),
    ("GET /image/v2/schemas/member", Anyone),
    ("GET /image/v2/schemas/members", Anyone),
    ("GET /image/v2/info/import", Anyone),
    ("GET /image/v2/info/stores", Anyone),
    // Networking.
    ("GET /networking/", Public),
    ("GET /networking/v2.0", Public),
    ("GET /networking/v2.0/", Public),
    ("GET /networking/v2.0/extensions", Anyone),
    ("GET /networking/v2.0/extensions/{alias}", Anyone),
    ("GET /networking/v2.0/networks", Anyone),
    ("POST /networking/v2.0/networks", AnyMember),
    ("GET /networking/v2.0/networks/{id}", OwnRead),
    ("PUT /networking/v2.0/networks/{id}", OwnWrite),
    ("DELETE /networking/v2.0/networks/{id}", OwnWrite),
    ("GET /networking/v2.0/subnets", Anyone),
    ("POST /networking/v2.0/subnets", AnyMember),
    ("GET /networking/v2.0/subnets/{id}", OwnRead),
    ("PUT /networking/v2.0/subnets/{id}", OwnWrite),
    ("DELETE /networking/v2.0/subnets/{id}", OwnWrite),
    ("GET /networking/v2.0/ports", Anyone),
    ("POST /networking/v2.0/ports", AnyMember),
    ("GET /networking/v2.0/ports/{id}", OwnRead),
    ("PUT /networking/v2.0/ports/{id}", OwnWrite),
    ("DELETE /networking/v2.0/ports/{id}", OwnWrite),
    ("GET /networking/v2.0/routers", Anyone),
    ("POST /networking/v2.0/routers", AnyMember),
    ("GET /networking/v2.0/routers/{id}", OwnRead),
    ("PUT /networking/v2.0/routers/{id}", OwnWrite),
    ("DELETE /networking/v2.0/routers/{id}", OwnWrite),
    (
        "PUT /networking/v2.0/routers/{id}/add_router_interface",
        OwnWrite,
    ),
    (
        "PUT /networking/v2.0/routers/{id}/remove_router_interface",
        OwnWrite,
    ),
    (
        "PUT /networking/v2.0/routers/{id}/add_extraroutes",
        OwnWrite,
    ),
    (
        "PUT /networking/v2.0/routers/{id}/remove_extraroutes",
        OwnWrite,
    ),
    ("GET /networking/v2.0/floatingips", Anyone),
    ("POST /networking/v2.0/floatingips", AnyMember),
    ("GET /networking/v2.0/floatingips/{id}", OwnRead),
    ("PUT /networking/v2.0/floatingips/{id}", OwnWrite),
    ("DELETE /networking/v2.0/floatingips/{id}", OwnWrite),
    // Everyone may list; only administrators see any agent (Neutron filters the list).
    ("GET /networking/v2.0/agents", Anyone),
    ("GET /networking/v2.0/service-providers", Anyone),
    ("GET /networking/v2.0/agents/{id}", Admin),
    ("PUT /networking/v2.0/agents/{id}", Admin),
    ("DELETE /networking/v2.0/agents/{id}", Admin),
    ("GET /networking/v2.0/agents/{id}/l3-routers", Admin),
    ("GET /networking/v2.0/routers/{id}/l3-agents", Admin),
    ("GET /networking/v2.0/agents/{id}/dhcp-networks", Admin),
    ("GET /networking/v2.0/networks/{id}/dhcp-agents", Admin),
    ("GET /networking/v2.0/quotas/{project_id}", OwnRead),
    ("PUT /networking/v2.0/quotas/{project_id}", Admin),
    ("DELETE /networking/v2.0/quotas/{project_id}", Admin),
    ("GET /networking/v2.0/quotas/{project_id}/default", OwnRead),
    ("GET /networking/v2.0/quotas/{project_id}/details", OwnRead),
    ("GET /networking/v2.0/security-groups", Anyone),
    ("POST /networking/v2.0/security-groups", AnyMember),
    ("GET /networking/v2.0/security-groups/{id}", OwnRead),
    ("PUT /networking/v2.0/security-groups/{id}", OwnWrite),
    ("DELETE /networking/v2.0/security-groups/{id}", OwnWrite),
    ("GET /networking/v2.0/security-group-rules", Anyone),
    ("POST /networking/v2.0/security-group-rules", AnyMember),
    ("GET /networking/v2.0/security-group-rules/{id}", OwnRead),
    (
        "DELETE /networking/v2.0/security-group-rules/{id}",
        OwnWrite,
    ),
    // Compute.
    ("GET /compute/", Public),
    ("GET /compute/v2.1", Public),
    ("GET /compute/v2.1/", Public),
    ("GET /compute/v2", Public),
    ("GET /compute/v2/", Public),
    ("GET /compute/v2.1/servers", Anyone),
    ("POST /compute/v2.1/servers", AnyMember),
    ("GET /compute/v2.1/servers/detail", Anyone),
    ("GET /compute/v2.1/servers/{id}", OwnRead),
    ("PUT /compute/v2.1/servers/{id}", OwnWrite),
    ("DELETE /compute/v2.1/servers/{id}", OwnWrite),
    ("POST /compute/v2.1/servers/{id}/action", OwnWrite),
    ("GET /compute/v2.1/servers/{id}/metadata", OwnRead),
    ("POST /compute/v2.1/servers/{id}/metadata", OwnWrite),
    ("PUT /compute/v2.1/servers/{id}/metadata", OwnWrite),
    ("GET /compute/v2.1/servers/{id}/metadata/{key}", OwnRead),
    ("PUT /compute/v2.1/servers/{id}/metadata/{key}", OwnWrite),
    ("DELETE /compute/v2.1/servers/{id}/metadata/{key}", OwnWrite),
    (
        "GET /compute/v2.1/servers/{id}/os-instance-actions",
        OwnRead,
    ),
    (
        "GET /compute/v2.1/servers/{id}/os-instance-actions/{request_id}",
        OwnRead,
    ),
    ("POST /compute/v2.1/servers/{id}/remote-consoles", OwnWrite),
    ("GET /compute/v2.1/servers/{id}/ips", OwnRead),
    (
        "GET /compute/v2.1/servers/{id}/os-volume_attachments",
        OwnRead,
    ),
    ("GET /compute/v2.1/servers/{id}/os-interface", OwnRead),
    ("POST /compute/v2.1/servers/{id}/os-interface", OwnWrite),
    (
        "GET /compute/v2.1/servers/{id}/os-interface/{port_id}",
        OwnRead,
    ),
    (
        "DELETE /compute/v2.1/servers/{id}/os-interface/{port_id}",
        OwnWrite,
    ),
    ("GET /compute/v2.1/flavors", Anyone),
    ("POST /compute/v2.1/flavors", Admin),
    ("GET /compute/v2.1/flavors/detail", Anyone),
    ("GET /compute/v2.1/flavors/{id}", Anyone),
    ("PUT /compute/v2.1/flavors/{id}", Admin),
    ("DELETE /compute/v2.1/flavors/{id}", Admin),
    ("POST /compute/v2.1/flavors/{id}/action", Admin),
    ("GET /compute/v2.1/flavors/{id}/os-flavor-access", Admin),
    ("GET /compute/v2.1/flavors/{id}/os-extra_specs", Anyone),
    ("POST /compute/v2.1/flavors/{id}/os-extra_specs", Admin),
    (
        "GET /compute/v2.1/flavors/{id}/os-extra_specs/{key}",
        Anyone,
    ),
    ("PUT /compute/v2.1/flavors/{id}/os-extra_specs/{key}", Admin),
    (
        "DELETE /compute/v2.1/flavors/{id}/os-extra_specs/{key}",
        Admin,
    ),
    ("GET /compute/v2.1/os-keypairs", Anyone),
    ("POST /compute/v2.1/os-keypairs", Anyone),
    ("GET /compute/v2.1/os-keypairs/{name}", SelfOnly),
    ("DELETE /compute/v2.1/os-keypairs/{name}", SelfOnly),
    ("GET /compute/v2.1/os-quota-sets/{project_id}", OwnRead),
    ("PUT /compute/v2.1/os-quota-sets/{project_id}", Admin),
    ("DELETE /compute/v2.1/os-quota-sets/{project_id}", Admin),
    (
        "GET /compute/v2.1/os-quota-sets/{project_id}/detail",
        OwnRead,
    ),
    (
        "GET /compute/v2.1/os-quota-sets/{project_id}/defaults",
        Anyone,
    ),
    ("GET /compute/v2.1/os-quota-class-sets/{class}", Admin),
    ("PUT /compute/v2.1/os-quota-class-sets/{class}", Admin),
    ("GET /compute/v2.1/limits", Anyone),
    ("GET /compute/v2.1/os-hypervisors", Admin),
    ("GET /compute/v2.1/os-hypervisors/detail", Admin),
    ("GET /compute/v2.1/os-hypervisors/statistics", Admin),
    ("GET /compute/v2.1/os-hypervisors/{id}", Admin),
    ("GET /compute/v2.1/os-hypervisors/{id}/uptime", Admin),
    ("GET /compute/v2.1/os-hypervisors/{pattern}/search", Admin),
    ("GET /compute/v2.1/os-hypervisors/{pattern}/servers", Admin),
    ("GET /compute/v2.1/os-hosts", Admin),
    ("GET /compute/v2.1/os-instance_usage_audit_log", Admin),
    (
        "GET /compute/v2.1/os-instance_usage_audit_log/{before}",
        Admin,
    ),
    ("GET /compute/v2.1/os-hosts/{host}", Admin),
    ("PUT /compute/v2.1/os-hosts/{host}", Admin),
    ("GET /compute/v2.1/os-hosts/{host}/{action}", Admin),
    ("GET /compute/v2.1/os-security-groups", Anyone),
    ("POST /compute/v2.1/os-security-groups", AnyMember),
    ("GET /compute/v2.1/os-security-groups/{id}", OwnRead),
    ("PUT /compute/v2.1/os-security-groups/{id}", OwnWrite),
    ("DELETE /compute/v2.1/os-security-groups/{id}", OwnWrite),
    ("POST /compute/v2.1/os-security-group-rules", OwnWrite),
    (
        "DELETE /compute/v2.1/os-security-group-rules/{id}",
        OwnWrite,
    ),
    ("GET /compute/v2.1/servers/{id}/os-security-groups", OwnRead),
    ("GET /compute/v2.1/servers/{id}/os-server-password", OwnRead),
    (
        "DELETE /compute/v2.1/servers/{id}/os-server-password",
        OwnWrite,
    ),
    ("GET /compute/v2.1/images", Anyone),
    ("GET /compute/v2.1/images/detail", Anyone),
    ("GET /compute/v2.1/images/{id}", OwnRead),
    ("DELETE /compute/v2.1/images/{id}", OwnWrite),
    ("GET /compute/v2.1/images/{id}/metadata", OwnRead),
    ("PUT /compute/v2.1/images/{id}/metadata", OwnWrite),
    ("POST /compute/v2.1/images/{id}/metadata", OwnWrite),
    ("GET /compute/v2.1/images/{id}/metadata/{key}", OwnRead),
    ("PUT /compute/v2.1/images/{id}/metadata/{key}", OwnWrite),
    ("DELETE /compute/v2.1/images/{id}/metadata/{key}", OwnWrite),
    ("GET /compute/v2.1/os-floating-ips", Anyone),
    ("POST /compute/v2.1/os-floating-ips", AnyMember),
    ("GET /compute/v2.1/os-floating-ips/{id}", OwnRead),
    ("DELETE /compute/v2.1/os-floating-ips/{id}", OwnWrite),
    ("GET /compute/v2.1/os-floating-ip-pools", Anyone),
    ("GET /compute/v2.1/os-tenant-networks", Anyone),
    ("GET /compute/v2.1/os-tenant-networks/{id}", OwnRead),
    ("GET /compute/v2.1/servers/{id}/ips/{network}", OwnRead),
    ("GET /compute/v2.1/extensions", Anyone),
    ("GET /compute/v2.1/extensions/{alias}", Anyone),
    ("GET /compute/v2.1/os-services", Admin),
    ("PUT /compute/v2.1/os-services/{id}", Admin),
    ("GET /compute/v2.1/os-aggregates", Admin),
    ("POST /compute/v2.1/os-aggregates", Admin),
    ("GET /compute/v2.1/os-aggregates/{id}", Admin),
    ("PUT /compute/v2.1/os-aggregates/{id}", Admin),
    ("DELETE /compute/v2.1/os-aggregates/{id}", Admin),
    ("POST /compute/v2.1/os-aggregates/{id}/action", Admin),
    ("GET /compute/v2.1/os-server-groups", Anyone),
    ("POST /compute/v2.1/os-server-groups", AnyMember),
    ("GET /compute/v2.1/os-server-groups/{id}", OwnRead),
    ("DELETE /compute/v2.1/os-server-groups/{id}", OwnWrite),
    ("POST /compute/v2.1/os-server-external-events", Admin),
    ("GET /compute/v2.1/os-migrations", Admin),
    ("GET /compute/v2.1/os-availability-zone", Anyone),
    ("GET /compute/v2.1/os-availability-zone/detail", Admin),
    ("GET /compute/v2.1/os-networks", Anyone),
    ("GET /compute/v2.1/os-networks/{id}", OwnRead),
    ("GET /compute/v2.1/os-simple-tenant-usage", Admin),
    (
        "GET /compute/v2.1/os-simple-tenant-usage/{tenant_id}",
        OwnRead,
    ),
    // Placement: administrators and services only; its root is public.
    ("GET /placement/", Public),
    ("GET /placement/resource_providers", Admin),
    ("POST /placement/resource_providers", Admin),
    ("GET /placement/resource_providers/{uuid}", Admin),
    ("PUT /placement/resource_providers/{uuid}", Admin),
    ("DELETE /placement/resource_providers/{uuid}", Admin),
    ("GET /placement/resource_providers/{uuid}/inventories", Admin),
    ("PUT /placement/resource_providers/{uuid}/inventories", Admin),
    ("POST /placement/resource_providers/{uuid}/inventories", Admin),
    ("DELETE /placement/resource_providers/{uuid}/inventories", Admin),
    ("GET /placement/resource_providers/{uuid}/inventories/{class}", Admin),
    ("PUT /placement/resource_providers/{uuid}/inventories/{class}", Admin),
    ("DELETE /placement/resource_providers/{uuid}/inventories/{class}", Admin),
    ("GET /placement/resource_providers/{uuid}/usages", Admin),
    ("GET /placement/resource_providers/{uuid}/aggregates", Admin),
    ("PUT /placement/resource_providers/{uuid}/aggregates", Admin),
    ("GET /placement/resource_providers/{uuid}/traits", Admin),
    ("PUT /placement/resource_providers/{uuid}/traits", Admin),
    ("DELETE /placement/resource_providers/{uuid}/traits", Admin),
    ("GET /placement/resource_providers/{uuid}/allocations", Admin),
    ("GET /placement/resource_classes", Admin),
    ("POST /placement/resource_classes", Admin),
    ("GET /placement/resource_classes/{name}", Admin),
    ("PUT /placement/resource_classes/{name}", Admin),
    ("DELETE /placement/resource_classes/{name}", Admin),
    ("GET /placement/traits", Admin),
    ("GET /placement/traits/{name}", Admin),
    ("PUT /placement/traits/{name}", Admin),
    ("DELETE /placement/traits/{name}", Admin),
    ("POST /placement/allocations", Admin),
    ("GET /placement/allocations/{consumer}", Admin),
    ("PUT /placement/allocations/{consumer}", Admin),
    ("DELETE /placement/allocations/{consumer}", Admin),
    ("GET /placement/usages", Admin),
    ("GET /placement/allocation_candidates", Admin),
];

/// Server functions anyone may call without a session.
const PUBLIC_SERVER_FNS: &[&str] = &["login", "logout", "get_session", "set_preferences"];

/// Where each service's routers are mounted, and the prefix of its versioned API.
fn mount(file: &str, path: &str) -> String {
    let (root, api) = match file.split('/').next().unwrap_or_default() {
        "keystone" => ("/identity", ""),
        "glance" => ("/image", ""),
        "nova" => ("/compute", "/v2.1"),
        "neutron" => ("/networking", "/v2.0"),
        "placement" => ("/placement", ""),
        other => panic!("a REST module the matrix does not know: {other}"),
    };
    // A service's version documents sit at its root; the rest under its API version.
    let versioned = !(path == "/" || path.starts_with("/v2"));
    if versioned {
        format!("{root}{api}{path}")
    } else {
        format!("{root}{path}")
    }
}

/// Every (method, path) the REST routers register, read from their source.
fn routes_from_source() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/rest");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if rel == "mod.rs" {
            // The reserved paths of services to come (a JSON 404 for everyone).
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Routes spelt with format! over a list of (target, actor) pairs (grants).
        let pairs: Vec<(String, String)> = text
            .split("for (target, actor) in [")
            .nth(1)
            .map(|rest| {
                rest.split(']')
                    .next()
                    .unwrap_or_default()
                    .split('(')
                    .skip(1)
                    .filter_map(|t| {
                        let mut q = t.split('"').skip(1).step_by(2);
                        Some((q.next()?.to_string(), q.next()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut at = 0;
        while let Some(found) = text[at..].find(".route(") {
            let start = at + found + ".route(".len();
            // The call's argument text, up to its closing parenthesis.
            let mut depth = 1;
            let mut end = start;
            for (i, c) in text[start..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            at = end;
            let args = &text[start..end];
            let Some(q1) = args.find('"') else { continue };
            let Some(q2) = args[q1 + 1..].find('"') else {
                continue;
            };
            let literal = &args[q1 + 1..q1 + 1 + q2];
            let methods: Vec<&str> = ["get", "head", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| {
                    args[q1 + 1 + q2..]
                        .match_indices(&format!("{m}("))
                        .any(|(i, _)| {
                            let before = args[..q1 + 1 + q2 + i].chars().last();
                            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        })
                })
                .collect();
            let paths: Vec<String> = if args.trim_start().starts_with("&format!") {
                pairs
                    .iter()
                    .map(|(t, a)| {
                        literal
                            .replace("{target}", t)
                            .replace("{actor}", a)
                            .replace("{{", "{")
                            .replace("}}", "}")
                    })
                    .collect()
            } else {
                vec![literal.to_string()]
            };
            for path in paths {
                for m in &methods {
                    out.push((m.to_uppercase(), mount(&rel, &path)));
                }
            }
        }
    }
    out
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let routes = routes_from_source();
    assert!(routes.len() > 150, "routes read: {}", routes.len());
    let rows: BTreeMap<&str, May> = EXPECTED.iter().copied().collect();
    let keys: Vec<String> = routes.iter().map(|(m, p)| format!("{m} {p}")).collect();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !rows.contains_key(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in EXPECTED: {missing:#?}"
    );
    let stale: Vec<&&str> = rows
        .keys()
        .filter(|k| !keys.iter().any(|r| r == *k))
        .collect();
    assert!(stale.is_empty(), "rows without a route: {stale:#?}");
}

/// What project A owns (and the cloud has), by the names the paths give them.
async fn seed(
    app: &TestApp,
    admin: &str,
    member: &crate::helpers::Member,
) -> BTreeMap<&'static str, String> {
    let t = member.token.as_str();
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    let public = app.neutron(Method::POST, "/networks", admin, Some(&json!({"network": {"name": "public", "router:external": true, "provider:network_type": "flat", "provider:physical_network": "extnet"}}))).await.expect(201).body["network"].clone();
    app.neutron(Method::POST, "/subnets", admin, Some(&json!({"subnet": {"network_id": id(&public), "cidr": "203.0.113.0/24", "ip_version": 4, "enable_dhcp": false}}))).await.expect(201);
    let net = app
        .neutron(
            Method::POST,
            "/networks",
            t,
            Some(&json!({"network": {"name": "a-net"}})),
        )
        .await
        .expect(201)
        .body["network"]
        .clone();
    let subnet = app.neutron(Method::POST,
        "/subnets",
        t,
        Some(&json!({"subnet": {"network_id": id(&net), "cidr": "10.0.0.0/24", "ip_version": 4}})),
    )
    .await
    .expect(201)
    .body["subnet"]
        .clone();
    let port = app
        .neutron(
            Method::POST,
            "/ports",
            t,
            Some(&json!({"port": {"network_id": id(&net)}})),
        )
        .await
        .expect(201)
        .body["port"]
        .clone();
    let router = app.neutron(Method::POST, "/routers", t, Some(&json!({"router": {"name": "a-router", "external_gateway_info": {"network_id": id(&public)}}}))).await.expect(201).body["router"].clone();
    let fip = app
        .neutron(
            Method::POST,
            "/floatingips",
            t,
            Some(&json!({"floatingip": {"floating_network_id": id(&public)}})),
        )
        .await
        .expect(201)
        .body["floatingip"]
        .clone();
    let group = app
        .neutron(
            Method::POST,
            "/security-groups",
            t,
            Some(&json!({"security_group": {"name": "a-group"}})),
        )
        .await
        .expect(201)
        .body["security_group"]
        .clone();
    let rule = group["security_group_rules"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A group and an ingress rule of A's for Nova's proxies (deleting them there leaves
    // the ones above to Neutron's routes).
    let nova_group = app
        .neutron(
            Method::POST,
            "/security-groups",
            t,
            Some(&json!({"security_group": {"name": "a-nova-group"}})),
        )
        .await
        .expect(201)
        .body["security_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let nova_rule = app
        .neutron(
            Method::POST,
            "/security-group-rules",
            t,
            Some(
                &json!({"security_group_rule": {"security_group_id": nova_group,
                "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
                "port_range_max": 22}}),
            ),
        )
        .await
        .expect(201)
        .body["security_group_rule"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agent = app
        .call(Method::GET, "/networking/v2.0/agents", admin, None)
        .await
        .expect(200)
        .body["agents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let flavor = app
        .call(
            Method::POST,
            "/compute/v2.1/flavors",
            admin,
            Some(&json!({"flavor": {"name": "m1", "vcpus": 1, "ram": 64, "disk": 1}})),
        )
        .await
        .expect(200)
        .body["flavor"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let image = upload_image(app, t, "a-image", json!({"visibility": "shared"})).await;
    let server = app.call(Method::POST, "/compute/v2.1/servers", t, Some(&json!({"server": {"name": "a-vm", "imageRef": image, "flavorRef": flavor, "networks": [{"port": id(&port)}], "metadata": {"k": "v"}}}))).await.expect(202).body["server"]["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let s = app
            .call(
                Method::GET,
                &format!("/compute/v2.1/servers/{server}"),
                t,
                None,
            )
            .await
            .expect(200);
        if s.body["server"]["status"] == "ACTIVE" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let request_id = app
        .call(
            Method::GET,
            &format!("/compute/v2.1/servers/{server}/os-instance-actions"),
            t,
            None,
        )
        .await
        .expect(200)
        .body["instanceActions"][0]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        Method::POST,
        "/compute/v2.1/os-keypairs",
        t,
        Some(&json!({"keypair": {"name": "a-key"}})),
    )
    .await
    .expect(200);
    let hypervisor = app
        .call(Method::GET, "/compute/v2.1/os-hypervisors", admin, None)
        .await
        .expect(200)
        .body["hypervisors"][0]["id"]
        .to_string()
        .trim_matches('"')
        .to_string();
    let compute_host = app
        .call(Method::GET, "/compute/v2.1/os-hypervisors", admin, None)
        .await
        .expect(200)
        .body["hypervisors"][0]["hypervisor_hostname"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        Method::POST,
        "/image/v2/metadefs/namespaces",
        admin,
        Some(&json!({"namespace": "a-ns", "visibility": "public",
            "objects": [{"name": "a-key"}], "tags": [{"name": "a-key"}],
            "properties": {"a-key": {"title": "A key", "type": "string"}}})),
    )
    .await
    .expect(201);
    let aggregate = app
        .call(
            Method::POST,
            "/compute/v2.1/os-aggregates",
            admin,
            Some(&json!({"aggregate": {"name": "a-aggregate"}})),
        )
        .await
        .expect(200)
        .body["aggregate"]["id"]
        .to_string();
    let server_group = app
        .call(
            Method::POST,
            "/compute/v2.1/os-server-groups",
            t,
            Some(&json!({"server_group": {"name": "a-group", "policies": ["anti-affinity"]}})),
        )
        .await
        .expect(200)
        .body["server_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let service = app
        .call(Method::GET, "/compute/v2.1/os-services", admin, None)
        .await
        .expect(200)
        .body["services"][0]["id"]
        .to_string()
        .trim_matches('"')
        .to_string();

    let app_cred = app
        .post(
            &format!("/v3/users/{}/application_credentials", member.user_id),
            t,
            json!({"application_credential": {"name": "a-cred", "access_rules": [
                {"service": "compute", "path": "/v2.1/servers", "method": "GET"}]}}),
        )
        .await
        .expect(201)
        .body["application_credential"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A rule no credential names any more (deleting it is allowed, so the matrix's
    // DELETE meets a rule it may delete).
    let made = app
        .post(
            &format!("/v3/users/{}/application_credentials", member.user_id),
            t,
            json!({"application_credential": {"name": "b-cred", "access_rules": [
                {"service": "image", "path": "/v2/images", "method": "GET"}]}}),
        )
        .await
        .expect(201)
        .body["application_credential"]
        .clone();
    let access_rule = made["access_rules"][0]["id"].as_str().unwrap().to_string();
    app.delete(
        &format!(
            "/v3/users/{}/application_credentials/{}",
            member.user_id,
            made["id"].as_str().unwrap()
        ),
        t,
    )
    .await
    .expect(204);
    let credential = app
        .post(
            "/v3/credentials",
            t,
            json!({"credential": {"user_id": member.user_id, "type": "cert", "blob": "a-blob"}}),
        )
        .await
        .expect(201)
        .body["credential"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ec2_access = app
        .post(
            &format!("/v3/users/{}/credentials/OS-EC2", member.user_id),
            t,
            json!({"tenant_id": member.project_id}),
        )
        .await
        .expect(201)
        .body["credential"]["access"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = app
        .post(
            "/v3/policies",
            admin,
            json!({"policy": {"type": "application/json", "blob": "{}"}}),
        )
        .await
        .expect(201)
        .body["policy"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let endpoint_group = app
        .post(
            "/v3/OS-EP-FILTER/endpoint_groups",
            admin,
            json!({"endpoint_group": {"name": "public-ones", "filters": {"interface": "public"}}}),
        )
        .await
        .expect(201)
        .body["endpoint_group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let consumer = app
        .post(
            "/v3/OS-OAUTH1/consumers",
            admin,
            json!({"consumer": {"description": "a consumer"}}),
        )
        .await
        .expect(201)
        .body["consumer"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let service_id = app.get("/v3/services", admin).await.expect(200).body["services"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let endpoint = app.get("/v3/endpoints", admin).await.expect(200).body["endpoints"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let group_id = app.create_group("a-group").await;
    let member_role = app.role_id("member").await;
    let reader_role = app.role_id("reader").await;

    BTreeMap::from([
        ("public", id(&public)),
        ("servers", server),
        ("request_id", request_id),
        ("port_id", id(&port)),
        ("flavors", flavor),
        ("images", image),
        ("networks", id(&net)),
        ("subnets", id(&subnet)),
        ("ports", id(&port)),
        ("routers", id(&router)),
        ("floatingips", id(&fip)),
        ("os-floating-ips", id(&fip)),
        ("os-tenant-networks", id(&net)),
        ("os-networks", id(&net)),
        ("network", "a-net".into()),
        ("security-groups", id(&group)),
        ("security-group-rules", rule),
        ("agents", agent),
        ("os-hypervisors", hypervisor),
        ("os-security-groups", nova_group),
        ("os-security-group-rules", nova_rule),
        ("pattern", compute_host.clone()),
        ("host", compute_host),
        ("before", "2026-12-07 00:00:00".into()),
        ("os-services", service),
        ("os-aggregates", aggregate),
        ("ns", "a-ns".into()),
        ("which", "namespace".into()),
        ("action", "reboot".into()),
        ("os-server-groups", server_group),
        ("application_credentials", app_cred),
        ("credentials", credential),
        ("access_rules", access_rule),
        ("policies", policy),
        ("endpoint_groups", endpoint_group),
        ("consumers", consumer),
        ("access", ec2_access),
        ("regions", "RegionOne".into()),
        ("services", service_id),
        ("endpoints", endpoint),
        ("domains", "default".into()),
        ("projects", member.project_id.clone()),
        ("users", member.user_id.clone()),
        ("groups", group_id),
        ("roles", member_role),
        ("implied", reader_role.clone()),
        ("role_id", reader_role),
        ("name", "a-key".into()),
        ("project_id", member.project_id.clone()),
        ("tenant_id", member.project_id.clone()),
        ("class", "default".into()),
        ("uuid", "a-provider".into()),
        ("consumer", "a-consumer".into()),
        ("alias", "external-net".into()),
        ("key", "k".into()),
        ("tag", "t".into()),
    ])
}

/// The path with its parameters filled from what A owns: `{id}` by the segment before
/// it, the others by their names.
fn fill(
    path: &str,
    owned: &BTreeMap<&str, String>,
    member_id: &str,
    other_project: &str,
) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            out.push(seg.to_string());
            continue;
        };
        let before = if i > 0 { segments[i - 1] } else { "" };
        let value = match (name, before) {
            ("id", kind) => owned.get(kind).cloned(),
            ("user_id" | "actor_id", "users") => Some(member_id.to_string()),
            ("actor_id", "groups") => owned.get("groups").cloned(),
            ("target_id", kind) => owned.get(kind).cloned(),
            ("member_id", _) => Some(other_project.to_string()),
            (name, _) => owned.get(name).cloned(),
        };
        out.push(value.unwrap_or_else(|| panic!("no value for {{{name}}} in {path}")));
    }
    out.join("/")
}

#[tokio::test]
async fn no_route_leaks_and_none_refuses_whom_it_should_serve() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let member = app.member("amy", "alpha", "member").await;
    let reader_id = app.create_user("rita", Some("rita-password")).await;
    app.grant(&member.project_id, &reader_id, "reader").await;
    let reader = app.token("rita", "rita-password", "alpha").await;
    let other = app.member("otto", "beta", "member").await;
    let owned = seed(&app, &admin, &member).await;

    let mut routes = routes_from_source();
    // Reads first, then writes, deletes last, so a delete does not hide what follows.
    routes.sort_by_key(|(m, _)| match m.as_str() {
        "GET" | "HEAD" => 0,
        "DELETE" => 2,
        _ => 1,
    });
    let rows: BTreeMap<&str, May> = EXPECTED.iter().copied().collect();
    let callers: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("garbage token", Some("gAAAAA-not-a-token")),
        ("other project's member", Some(other.token.as_str())),
        ("A's reader", Some(reader.as_str())),
        ("A's member", Some(member.token.as_str())),
    ];
    let mut leaks = Vec::new();
    let mut denials = Vec::new();
    let mut calls = 0;
    for (method, template) in &routes {
        let may = rows[format!("{method} {template}").as_str()];
        let path = fill(template, &owned, &member.user_id, &other.project_id);
        for (who, token) in callers {
            let mut req = app
                .client
                .request(method.parse().unwrap(), format!("{}{path}", app.address));
            if let Some(t) = token {
                req = req.header("X-Auth-Token", t);
            }
            if !matches!(method.as_str(), "GET" | "HEAD" | "DELETE") {
                req = req.header("Content-Type", "application/json").body("{}");
            }
            let r = req.send().await.unwrap();
            calls += 1;
            let status = r.status().as_u16();
            assert!(
                status < 500,
                "{who}: {method} {path}: {status}: {}",
                r.text().await.unwrap_or_default()
            );
            let allowed = match (may, who) {
                (Public, _) => true,
                (_, "anonymous" | "garbage token") => false,
                (Anyone, _) => true,
                (OwnRead, "A's reader" | "A's member") => true,
                (OwnWrite | SelfOnly | AnyMember, "A's member") => true,
                (AnyMember, "other project's member") => true,
                _ => false,
            };
            let denied = status == 401 || status == 403;
            let success = (200..300).contains(&status);
            let cell = format!("{who}: {method} {path} ({template}) → {status}");
            if allowed && denied {
                denials.push(cell);
            } else if !allowed && success {
                leaks.push(cell);
            } else if !allowed && token.is_none() && status != 401 {
                leaks.push(format!("{cell}, not 401"));
            }
        }
    }
    assert!(calls > 800, "{calls} calls");
    assert!(
        leaks.is_empty() && denials.is_empty(),
        "{} leaks:\n{}\n{} wrong denials:\n{}",
        leaks.len(),
        leaks.join("\n"),
        denials.len(),
        denials.join("\n")
    );
}

/// No server function but the few that work without a session answers a caller without
/// one (or with a cookie that is not a session's): a refusal or a bad request, never a
/// success.
#[tokio::test]
async fn every_server_function_needs_a_session() {
    let app = spawn_app().await;
    let paths: Vec<(&str, _)> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(paths.len() > 50, "server functions found: {}", paths.len());
    let client = reqwest::Client::new();
    let mut open = Vec::new();
    for (path, method) in paths {
        let last = path.rsplit('/').next().unwrap_or_default();
        let public = PUBLIC_SERVER_FNS.iter().any(|name| last.starts_with(name));
        for cookie in [None, Some("gureum_session=not-a-session")] {
            let mut req = client
                .request(
                    method.as_str().parse().unwrap(),
                    format!("{}{path}", app.address),
                )
                .header("origin", &app.address)
                .header("content-type", "application/json")
                .body("{}");
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            assert!(status < 500 || public, "{path}: {status}");
            if !public && (200..300).contains(&status) {
                open.push(format!("{path} ({cookie:?}) → {status}"));
            }
        }
    }
    assert!(
        open.is_empty(),
        "server functions answering without a session:\n{}",
        open.join("\n")
    );
}

/// Malformed bodies on every write route, as the owning member and as an administrator
/// (so admin-only routes parse them too): a 4xx with a JSON fault, never a 5xx, and
/// answered within a second. (A route that takes no body may answer 2xx.)
#[tokio::test]
async fn malformed_bodies_on_every_write_route_are_4xx() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let member = app.member("amy", "alpha", "member").await;
    let other = app.member("otto", "beta", "member").await;
    let owned = seed(&app, &admin, &member).await;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let long = format!("{{\"name\": \"{}\"}}", "한".repeat(20_000));
    let wrong_types = r#"{"server": [], "network": 1, "port": "x", "project": null, "image": true, "name": {"a": 1}}"#;
    let bodies: [&str; 8] = [
        "[]",
        "\"text\"",
        "null",
        "{\"a\":",
        "\u{0}\u{1}",
        &deep,
        &long,
        wrong_types,
    ];
    let mut bad = Vec::new();
    for (method, template) in routes_from_source() {
        if matches!(method.as_str(), "GET" | "HEAD" | "DELETE") {
            continue;
        }
        let path = fill(&template, &owned, &member.user_id, &other.project_id);
        for token in [member.token.as_str(), admin.as_str()] {
            for body in bodies {
                let started = std::time::Instant::now();
                let r = app
                    .client
                    .request(method.parse().unwrap(), format!("{}{path}", app.address))
                    .header("X-Auth-Token", token)
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let took = started.elapsed();
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                let json_fault = serde_json::from_str::<Value>(&text).is_ok();
                let shown: String = body.chars().take(24).collect();
                if status >= 500
                    || (status >= 300 && !json_fault)
                    || took > std::time::Duration::from_secs(1)
                {
                    bad.push(format!(
                        "{method} {template} with {shown:?}: {status} in {took:?}: {}",
                        text.chars().take(200).collect::<String>()
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} bad answers:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// One row per server function: who may call it (as [`May`] says for routes; `Public`
/// rows, the session's own functions, are not called here: tests/api/portal.rs has them)
/// and its arguments, naming A's objects by the names [`seed`] gives them (`{servers}`),
/// `{other_project}` for the other project. A's objects in a function's arguments make
/// it A's member's to call, however open the function is with the caller's own objects.
const SERVER_FNS: &[(&str, May, &str)] = &[
    // Compute.
    (
        "list_instances",
        Anyone,
        r#"{"query": "{query}", "all_projects": true}"#,
    ),
    ("get_instance", OwnRead, r#"{"id": "{servers}"}"#),
    ("interface_options", OwnRead, r#"{"id": "{servers}"}"#),
    (
        "instance_log",
        OwnWrite,
        r#"{"id": "{servers}", "lines": 10}"#,
    ),
    ("project_usage", Anyone, "{}"),
    ("launch_options", Anyone, "{}"),
    (
        "project_usage_report",
        Anyone,
        r#"{"start": "2026-01-01", "end": "2026-12-31"}"#,
    ),
    (
        "admin_usage_report",
        Admin,
        r#"{"start": "2026-01-01", "end": "2026-12-31"}"#,
    ),
    (
        "list_images",
        Anyone,
        r#"{"query": "{query}", "all_projects": true}"#,
    ),
    ("list_keypairs", Anyone, r#"{"query": "{query}"}"#),
    ("list_flavors", Anyone, r#"{"query": "{query}"}"#),
    ("list_hypervisors", Admin, r#"{"query": "{query}"}"#),
    ("hypervisor_totals", Admin, "{}"),
    ("quota_defaults", Anyone, "{}"),
    ("flavor_access", Admin, r#"{"id": "{flavors}"}"#),
    (
        "instance_action",
        OwnWrite,
        r#"{"id": "{servers}", "action": "stop"}"#,
    ),
    (
        "attach_interface",
        OwnWrite,
        r#"{"id": "{servers}", "network_id": "{networks}", "fixed_ip": null, "port_id": null}"#,
    ),
    (
        "detach_interface",
        OwnWrite,
        r#"{"id": "{servers}", "port_id": "{ports}"}"#,
    ),
    (
        "create_snapshot",
        OwnWrite,
        r#"{"id": "{servers}", "name": "snap"}"#,
    ),
    (
        "launch_instance",
        OwnWrite,
        r#"{"request": {"name": "x", "count": 1, "image_id": "{images}", "flavor_id": "{flavors}", "key_name": null, "user_data": "", "networks": ["{networks}"], "security_groups": ["{security-groups}"]}}"#,
    ),
    (
        "create_image",
        AnyMember,
        r#"{"name": "x", "disk_format": "qcow2", "container_format": "bare", "visibility": "private", "min_disk": 0, "min_ram": 0, "protected": false}"#,
    ),
    (
        "update_image",
        OwnWrite,
        r#"{"id": "{images}", "name": "renamed", "visibility": "shared", "min_disk": 0, "min_ram": 0, "protected": false}"#,
    ),
    (
        "create_keypair",
        Anyone,
        r#"{"name": "x-key", "public_key": null}"#,
    ),
    (
        "create_flavor",
        Admin,
        r#"{"name": "x", "id": "auto", "vcpus": 1, "ram": 64, "disk": 1, "ephemeral": 0, "swap": 0, "is_public": true}"#,
    ),
    (
        "update_quota_defaults",
        Admin,
        r#"{"values": [["instances", 5]]}"#,
    ),
    (
        "set_flavor_access",
        Admin,
        r#"{"id": "{flavors}", "projects": ["{other_project}"]}"#,
    ),
    (
        "set_flavor_extra_specs",
        Admin,
        r#"{"id": "{flavors}", "specs": [["k", "v"]], "removed": []}"#,
    ),
    ("delete_instances", OwnWrite, r#"{"ids": ["{servers}"]}"#),
    ("delete_images", OwnWrite, r#"{"ids": ["{images}"]}"#),
    ("delete_keypairs", OwnWrite, r#"{"names": ["a-key"]}"#),
    ("delete_flavors", Admin, r#"{"ids": ["{flavors}"]}"#),
    // Identity.
    ("list_projects", Admin, r#"{"query": "{query}"}"#),
    ("project_members", Admin, r#"{"project_id": "{projects}"}"#),
    ("list_users", Admin, r#"{"query": "{query}"}"#),
    ("list_groups", Admin, r#"{"query": "{query}"}"#),
    ("group_members", Admin, r#"{"group_id": "{groups}"}"#),
    ("list_roles", Admin, r#"{"query": "{query}"}"#),
    ("list_app_creds", Anyone, r#"{"query": "{query}"}"#),
    (
        "list_endpoints",
        Anyone,
        r#"{"query": "{query}", "interface": "public"}"#,
    ),
    (
        "create_project",
        Admin,
        r#"{"name": "x", "description": "", "enabled": true, "members": [], "groups": []}"#,
    ),
    (
        "update_project",
        Admin,
        r#"{"id": "{projects}", "name": "renamed", "description": "", "enabled": true}"#,
    ),
    (
        "set_member_roles",
        Admin,
        r#"{"project_id": "{projects}", "user_id": "{users}", "role_ids": []}"#,
    ),
    (
        "create_user",
        Admin,
        r#"{"name": "x", "email": "", "description": "", "password": "x-password-1", "confirm": "x-password-1", "project_id": "{projects}", "role_id": "{roles}", "enabled": "on"}"#,
    ),
    (
        "update_user",
        Admin,
        r#"{"id": "{users}", "name": "renamed", "email": "", "description": ""}"#,
    ),
    (
        "set_user_password",
        Admin,
        r#"{"id": "{users}", "password": "x-password-1", "confirm": "x-password-1"}"#,
    ),
    (
        "set_user_enabled",
        Admin,
        r#"{"id": "{users}", "enabled": false}"#,
    ),
    ("unlock_user", Admin, r#"{"id": "{users}"}"#),
    ("create_group", Admin, r#"{"name": "x", "description": ""}"#),
    (
        "set_group_member",
        Admin,
        r#"{"group_id": "{groups}", "user_id": "{users}", "member": true}"#,
    ),
    ("create_role", Admin, r#"{"name": "x"}"#),
    (
        "set_implied_role",
        Admin,
        r#"{"prior_id": "{roles}", "implied_id": "{role_id}", "implied": true}"#,
    ),
    (
        "create_app_cred",
        Anyone,
        r#"{"name": "x-cred", "description": "", "expires_at": ""}"#,
    ),
    ("delete_projects", Admin, r#"{"ids": ["{projects}"]}"#),
    ("delete_users", Admin, r#"{"ids": ["{users}"]}"#),
    ("delete_groups", Admin, r#"{"ids": ["{groups}"]}"#),
    ("delete_roles", Admin, r#"{"ids": ["{roles}"]}"#),
    (
        "delete_app_creds",
        OwnWrite,
        r#"{"ids": ["{application_credentials}"]}"#,
    ),
    // Network.
    (
        "list_networks",
        Anyone,
        r#"{"query": "{query}", "all_projects": true}"#,
    ),
    (
        "list_routers",
        Anyone,
        r#"{"query": "{query}", "all_projects": true}"#,
    ),
    ("list_security_groups", Anyone, r#"{"query": "{query}"}"#),
    (
        "list_floating_ips",
        Anyone,
        r#"{"query": "{query}", "all_projects": true}"#,
    ),
    ("port_choices", Anyone, "{}"),
    ("topology", Anyone, "{}"),
    // Everyone may ask; only administrators see any agent (as the REST list).
    ("list_agents", Anyone, r#"{"query": "{query}"}"#),
    (
        "create_network",
        AnyMember,
        r#"{"req": {"name": "x-net", "admin_state_up": true, "shared": false, "external": false, "network_type": "", "physical_network": "", "segmentation_id": null, "create_subnet": false, "subnet_name": "", "cidr": "", "gateway_ip": "", "disable_gateway": false, "enable_dhcp": true, "pools": "", "dns": ""}}"#,
    ),
    (
        "create_router",
        AnyMember,
        r#"{"name": "x-router", "external_network": null}"#,
    ),
    (
        "create_security_group",
        AnyMember,
        r#"{"name": "x-group", "description": ""}"#,
    ),
    (
        "allocate_floating_ip",
        AnyMember,
        r#"{"network_id": "{public}"}"#,
    ),
    (
        "router_interface",
        OwnWrite,
        r#"{"router_id": "{routers}", "add": true, "id": "{subnets}"}"#,
    ),
    (
        "router_route",
        OwnWrite,
        r#"{"router_id": "{routers}", "add": true, "destination": "10.9.0.0/24", "nexthop": "10.0.0.9"}"#,
    ),
    (
        "add_rule",
        OwnWrite,
        r#"{"req": {"group_id": "{security-groups}", "template": "custom_tcp", "direction": "ingress", "port_mode": "port", "port": 22, "from_port": null, "to_port": null, "icmp_type": null, "icmp_code": null, "remote": "cidr", "cidr": "0.0.0.0/0", "remote_group_id": "", "description": ""}}"#,
    ),
    (
        "associate_floating_ip",
        OwnWrite,
        r#"{"id": "{floatingips}", "port_id": "{ports}"}"#,
    ),
    (
        "set_router_gateway",
        OwnWrite,
        r#"{"router_id": "{routers}", "network_id": null}"#,
    ),
    (
        "delete_rules",
        OwnWrite,
        r#"{"ids": ["{security-group-rules}"]}"#,
    ),
    (
        "release_floating_ips",
        OwnWrite,
        r#"{"ids": ["{floatingips}"]}"#,
    ),
    (
        "delete_security_groups",
        OwnWrite,
        r#"{"ids": ["{security-groups}"]}"#,
    ),
    ("delete_routers", OwnWrite, r#"{"ids": ["{routers}"]}"#),
    ("delete_networks", OwnWrite, r#"{"ids": ["{networks}"]}"#),
    // The session's own (not called here).
    ("login", Public, "{}"),
    ("logout", Public, "{}"),
    ("get_session", Public, "{}"),
    ("set_preferences", Public, "{}"),
    ("change_password", Public, "{}"),
    ("switch_project", OwnRead, r#"{"project_id": "{projects}"}"#),
];

/// A table's first page, unsorted and unfiltered (`{query}` in [`SERVER_FNS`]).
const LIST_QUERY: &str = r#"{"filter": "", "sort": "", "desc": false, "page": 0}"#;

/// Every server function in src/server_fns, read from its source: its name, whether it
/// takes JSON (`input = Json`) or a form, and its arguments' names.
fn server_fns_from_source() -> Vec<(String, bool, Vec<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server_fns");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in text.split("#[server").skip(1) {
            let (attr, rest) = chunk.split_once(']').unwrap();
            let Some(sig) = rest.split("pub async fn ").nth(1) else {
                continue;
            };
            let (name, rest) = sig.split_once('(').unwrap();
            let args = rest.split(") ->").next().unwrap();
            // Names before each top-level `:` (types may hold `<`, `(` and commas).
            let mut names = Vec::new();
            let mut depth = 0;
            let mut current = String::new();
            for c in args.chars() {
                match c {
                    '<' | '(' => depth += 1,
                    '>' | ')' => depth -= 1,
                    ':' if depth == 0 && !current.trim().is_empty() => {
                        names.push(current.trim().to_string());
                        current.clear();
                    }
                    ',' if depth == 0 => current.clear(),
                    _ if depth == 0 => current.push(c),
                    _ => {}
                }
            }
            out.push((name.trim().to_string(), attr.contains("Json"), names));
        }
    }
    out
}

/// A form body as server functions read one: flat `name=value` pairs.
fn form(args: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    args.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::String(s) => (k.clone(), s.clone()),
            other => (k.clone(), other.to_string()),
        })
        .collect()
}

/// Every server function that acts on a project's objects, called with A's objects by a
/// member of another project, by A's reader and by A's member (in that order, reads
/// first and deletes last), each in a portal session: the other project's member is
/// refused everything of A's and never sees A's ids in an answer, A's reader only reads,
/// and no one is refused what the table allows. A new server function without a row, or
/// a row whose arguments differ from the function's, fails the test.
#[tokio::test]
async fn no_server_function_leaks_and_none_refuses_whom_it_should_serve() {
    use gureum::server_fns::session::Login;
    use leptos::server_fn::ServerFn;

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let member = app.member("amy", "alpha", "member").await;
    let reader_id = app.create_user("rita", Some("rita-password")).await;
    app.grant(&member.project_id, &reader_id, "reader").await;
    let other = app.member("otto", "beta", "member").await;
    let owned = seed(&app, &admin, &member).await;

    let source = server_fns_from_source();
    let rows: BTreeMap<&str, (May, &str)> =
        SERVER_FNS.iter().map(|(n, m, a)| (*n, (*m, *a))).collect();
    let missing: Vec<&String> = source
        .iter()
        .map(|(n, _, _)| n)
        .filter(|n| !rows.contains_key(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "server functions without a row: {missing:?}"
    );
    let stale: Vec<&&str> = rows
        .keys()
        .filter(|k| !source.iter().any(|(n, _, _)| n == *k))
        .collect();
    assert!(
        stale.is_empty(),
        "rows without a server function: {stale:?}"
    );
    // Each function's path, by the longest name its registered path starts with.
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    let path_of = |name: &str| -> String {
        paths
            .iter()
            .filter(|p| p.rsplit('/').next().unwrap_or_default().starts_with(name))
            .filter(|p| {
                let last = p.rsplit('/').next().unwrap_or_default();
                !source.iter().any(|(n, _, _)| {
                    n.len() > name.len() && n.starts_with(name) && last.starts_with(n.as_str())
                })
            })
            .next()
            .unwrap_or_else(|| panic!("no path for {name}"))
            .clone()
    };

    let session = |user: &'static str, password: String| {
        let app = &app;
        async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = client
                .post(format!("{}{}", app.address, Login::PATH))
                .header("accept", "application/json")
                .header("origin", &app.address)
                .form(&[("domain", ""), ("username", user), ("password", &password)])
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{user}'s login: {}", r.status());
            client
        }
    };
    let callers = [
        (
            "other project's member",
            session("otto", other.password.clone()).await,
        ),
        ("A's reader", session("rita", "rita-password".into()).await),
        ("A's member", session("amy", member.password.clone()).await),
    ];
    let secrets: Vec<&String> = owned
        .iter()
        .filter(|(k, _)| {
            [
                "servers",
                "images",
                "networks",
                "subnets",
                "ports",
                "routers",
                "floatingips",
                "security-groups",
                "security-group-rules",
                "application_credentials",
                "projects",
                "users",
                "groups",
            ]
            .contains(k)
        })
        .map(|(_, v)| v)
        .collect();

    // Reads first, then writes, deletes last, each in the table's order.
    let mut order: Vec<&(String, bool, Vec<String>)> = source.iter().collect();
    order.sort_by_key(|(n, _, _)| {
        let (may, _) = rows[n.as_str()];
        let group = match (may, n.as_str()) {
            (Anyone | OwnRead, _) => 0,
            (_, n) if n.starts_with("delete_") || n.starts_with("release_") => 2,
            _ => 1,
        };
        (group, SERVER_FNS.iter().position(|(row, _, _)| row == n))
    });
    let mut leaks = Vec::new();
    let mut denials = Vec::new();
    let mut calls = 0;
    for (name, json, arg_names) in order {
        let (may, template) = rows[name.as_str()];
        if may == Public {
            continue;
        }
        let mut text = template
            .replace("{other_project}", &other.project_id)
            .replace(r#""{query}""#, LIST_QUERY);
        for (k, v) in &owned {
            text = text.replace(&format!("{{{k}}}"), v);
        }
        let args: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
        let mut given: Vec<&String> = args.keys().collect();
        given.sort();
        let mut wanted: Vec<&String> = arg_names.iter().collect();
        wanted.sort();
        assert_eq!(given, wanted, "the arguments of {name}");
        let path = path_of(name);
        for (who, client) in &callers {
            let req = client
                .post(format!("{}{path}", app.address))
                .header("origin", &app.address)
                .header("accept", "application/json");
            let req = if *json {
                req.json(&args)
            } else {
                req.form(&form(&args))
            };
            let r = req.send().await.unwrap();
            calls += 1;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            assert!(status < 500, "{who}: {name}: {status}: {body}");
            // A refusal of arguments the function could not even read would prove nothing.
            assert!(
                !body.contains("\"Transport\""),
                "{who}: {name}: the arguments were not understood: {body}"
            );
            let allowed = match (may, *who) {
                (Anyone, _) => true,
                (OwnRead, "A's reader" | "A's member") => true,
                (OwnWrite | SelfOnly | AnyMember, "A's member") => true,
                (AnyMember, "other project's member") => true,
                _ => false,
            };
            let denied = status == 401 || status == 403;
            let success = (200..300).contains(&status);
            let cell = format!("{who}: {name} → {status}");
            if allowed && denied {
                denials.push(format!("{cell}: {body}"));
            } else if !allowed && success {
                leaks.push(cell);
            } else if success && *who == "other project's member" {
                if let Some(s) = secrets.iter().find(|s| body.contains(s.as_str())) {
                    leaks.push(format!("{cell}, naming A's {s}"));
                }
            }
        }
    }
    assert!(calls > 200, "{calls} calls");
    assert!(
        leaks.is_empty() && denials.is_empty(),
        "{} leaks:\n{}\n{} wrong denials:\n{}",
        leaks.len(),
        leaks.join("\n"),
        denials.len(),
        denials.join("\n")
    );
}
