//! Keystone's resources as its API shows them: a typed view per resource (`View`), and the
//! envelopes every handler answers with — `{"domain": …}` for one (`one`, `created`), and
//! `{"domains": […], "links": …}` for a collection (`many`, `many_at`).
//!
//! The bodies go through `serde_json::Value`, whose object keys are sorted, so the bytes
//! clients receive do not depend on the order the fields are declared in.
//!
//! The handlers are shared too: a resource read and deleted by id (`ById`) is served by
//! `get(view::show::<Region>).delete(view::remove::<Region>)`, one created and changed from
//! a body (`Writable`) by `post(view::create::<Region>)` and `patch(view::update::<Region>)`,
//! a collection (`Listed`) by `get(view::list::<Region>)`. The routes stay spelt out, one
//! table per module, so a path can be found by searching for it.

use std::collections::HashMap;
use std::future::Future;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::{member, KsJson, KsResult};
use crate::server::context::{AuthContext, OpCtx, Scope};
use crate::server::error::Result;
use crate::server::rest::{by_id, ById, Null};
use crate::server::services::identity::{
    AccessRule, AppCred, CatalogEntry, Consumer, Domain, EffectiveAssignment, Endpoint,
    EndpointFilters, EndpointGroup, Group, IdentityService, Policy, Project, Region, Role, Service,
    User, DOMAIN_PROJECTS, SUBPROJECTS,
};
use crate::server::state::AppState;
use crate::server::time::iso_micros;

/// A resource of the identity API.
pub(super) trait View {
    /// The member name of one (`"domain"`).
    const MEMBER: &'static str;
    /// The collection's name and path under `/v3` (`"domains"`).
    const COLLECTION: &'static str;
    fn view(&self, state: &AppState) -> impl Serialize;
}

by_id!(IdentityService {
    Domain => domain_get, domain_delete;
    Project => project_get, project_delete;
    User => user_get, user_delete;
    Group => group_get, group_delete;
    Role => role_get, role_delete;
    Region => region_get, region_delete;
    Service => service_get, service_delete;
    Endpoint => endpoint_get, endpoint_delete;
    Policy => policy_get, policy_delete;
    EndpointGroup => endpoint_group_get, endpoint_group_delete;
    Consumer => consumer_get, consumer_delete;
});

/// `GET /v3/<collection>/{id}`.
pub(super) async fn show<T: ById<IdentityService> + View>(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let item = T::get(&state.identity, &ctx, &id).await?;
    Ok(one(&state, &item))
}

/// `DELETE /v3/<collection>/{id}`: `204 No Content`.
pub(super) async fn remove<T: ById<IdentityService>>(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    T::delete(&state.identity, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A resource created from `{"<member>": Create}` and changed from `{"<member>": Patch}`:
/// the body types are the API's, `create`/`update` hand them to the service.
pub(super) trait Writable: View + Sized + Send {
    type Create: DeserializeOwned + Send;
    type Patch: DeserializeOwned + Send;
    fn create(
        identity: &IdentityService,
        ctx: &OpCtx,
        body: Self::Create,
    ) -> impl Future<Output = Result<Self>> + Send;
    fn update(
        identity: &IdentityService,
        ctx: &OpCtx,
        id: &str,
        patch: Self::Patch,
    ) -> impl Future<Output = Result<Self>> + Send;
}

/// A collection listed with the filters of its query string.
pub(super) trait Listed: View + Sized + Send {
    fn list(
        identity: &IdentityService,
        ctx: &OpCtx,
        query: &HashMap<String, String>,
    ) -> impl Future<Output = Result<Vec<Self>>> + Send;
}

/// `POST /v3/<collection>`: `201 Created` with the new resource.
pub(super) async fn create<T: Writable>(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let body: T::Create = member(&body, T::MEMBER)?;
    let item = T::create(&state.identity, &ctx, body).await?;
    Ok(created(&state, &item))
}

/// `PATCH /v3/<collection>/{id}`.
pub(super) async fn update<T: Writable>(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let patch: T::Patch = member(&body, T::MEMBER)?;
    let item = T::update(&state.identity, &ctx, &id, patch).await?;
    Ok(one(&state, &item))
}

/// `GET /v3/<collection>`.
pub(super) async fn list<T: Listed>(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(query): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let items = T::list(&state.identity, &ctx, &query).await?;
    Ok(many(&state, &items))
}

/// `{"<member>": view}`.
pub(super) fn one<T: View>(state: &AppState, item: &T) -> Json<Value> {
    Json(json!({ T::MEMBER: to_value(item.view(state)) }))
}

/// `201 Created` with `{"<member>": view}`.
pub(super) fn created<T: View>(state: &AppState, item: &T) -> Response {
    (StatusCode::CREATED, one(state, item)).into_response()
}

/// `{"<collection>": [view, …], "links": …}` for the collection at its own path.
pub(super) fn many<T: View>(state: &AppState, items: &[T]) -> Json<Value> {
    many_at(state, items, T::COLLECTION)
}

/// The same for a collection at another path (`users/{id}/groups`).
pub(super) fn many_at<T: View>(state: &AppState, items: &[T], path: &str) -> Json<Value> {
    let list: Vec<Value> = items.iter().map(|i| to_value(i.view(state))).collect();
    Json(json!({ T::COLLECTION: list, "links": super::collection_links(state, path) }))
}

fn to_value(view: impl Serialize) -> Value {
    // A view is plain strings, numbers and options: it always serializes.
    serde_json::to_value(view).unwrap_or_default()
}

/// `{"self": URL}`.
#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
}

fn links(state: &AppState, collection: &str, id: &str) -> Links {
    Links {
        this: format!("{}/identity/v3/{collection}/{id}", state.public_url()),
    }
}

/// `{}`: Keystone's `options` of a resource that sets none.
#[derive(Serialize)]
struct NoOptions {}

impl View for Domain {
    const MEMBER: &'static str = "domain";
    const COLLECTION: &'static str = "domains";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct DomainView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            enabled: bool,
            tags: [&'a str; 0],
            options: NoOptions,
            links: Links,
        }
        DomainView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            enabled: self.enabled != 0,
            tags: [],
            options: NoOptions {},
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for Project {
    const MEMBER: &'static str = "project";
    const COLLECTION: &'static str = "projects";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct ProjectView<'a> {
            id: &'a str,
            name: &'a str,
            domain_id: &'a str,
            parent_id: &'a str,
            description: &'a str,
            enabled: bool,
            is_domain: bool,
            tags: Vec<String>,
            options: NoOptions,
            links: Links,
        }
        ProjectView {
            id: &self.id,
            name: &self.name,
            domain_id: &self.domain_id,
            // Keystone reports a top-level project's domain as its parent.
            parent_id: self.parent_id.as_deref().unwrap_or(&self.domain_id),
            description: &self.description,
            enabled: self.enabled != 0,
            is_domain: false,
            tags: crate::server::services::identity::project_tags(self),
            options: NoOptions {},
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for User {
    const MEMBER: &'static str = "user";
    const COLLECTION: &'static str = "users";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct UserView<'a> {
            id: &'a str,
            name: &'a str,
            domain_id: &'a str,
            enabled: bool,
            password_expires_at: Option<&'a str>,
            options: NoOptions,
            links: Links,
            #[serde(skip_serializing_if = "Option::is_none")]
            email: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            description: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            default_project_id: Option<&'a str>,
            #[serde(flatten)]
            extra: serde_json::Map<String, Value>,
        }
        UserView {
            id: &self.id,
            name: &self.name,
            domain_id: &self.domain_id,
            enabled: self.enabled != 0,
            password_expires_at: None,
            options: NoOptions {},
            links: links(state, Self::COLLECTION, &self.id),
            email: self.email.as_deref(),
            description: self.description.as_deref(),
            default_project_id: self.default_project_id.as_deref(),
            extra: crate::server::services::identity::user_extra(self),
        }
    }
}

impl View for Group {
    const MEMBER: &'static str = "group";
    const COLLECTION: &'static str = "groups";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct GroupView<'a> {
            id: &'a str,
            name: &'a str,
            domain_id: &'a str,
            description: &'a str,
            links: Links,
        }
        GroupView {
            id: &self.id,
            name: &self.name,
            domain_id: &self.domain_id,
            description: &self.description,
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for Role {
    const MEMBER: &'static str = "role";
    const COLLECTION: &'static str = "roles";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct RoleView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            domain_id: Option<&'a str>,
            options: NoOptions,
            links: Links,
        }
        RoleView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            domain_id: None,
            options: NoOptions {},
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for Region {
    const MEMBER: &'static str = "region";
    const COLLECTION: &'static str = "regions";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct RegionView<'a> {
            id: &'a str,
            description: &'a str,
            parent_region_id: Option<&'a str>,
            links: Links,
        }
        RegionView {
            id: &self.id,
            description: &self.description,
            parent_region_id: self.parent_region_id.as_deref(),
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for Service {
    const MEMBER: &'static str = "service";
    const COLLECTION: &'static str = "services";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct ServiceView<'a> {
            id: &'a str,
            #[serde(rename = "type")]
            service_type: &'a str,
            name: &'a str,
            description: &'a str,
            enabled: bool,
            links: Links,
        }
        ServiceView {
            id: &self.id,
            service_type: &self.service_type,
            name: &self.name,
            description: &self.description,
            enabled: self.enabled != 0,
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for Endpoint {
    const MEMBER: &'static str = "endpoint";
    const COLLECTION: &'static str = "endpoints";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct EndpointView<'a> {
            id: &'a str,
            service_id: &'a str,
            interface: &'a str,
            region: Option<&'a str>,
            region_id: Option<&'a str>,
            url: &'a str,
            enabled: bool,
            links: Links,
        }
        EndpointView {
            id: &self.id,
            service_id: &self.service_id,
            interface: &self.interface,
            region: self.region_id.as_deref(),
            region_id: self.region_id.as_deref(),
            url: &self.url,
            enabled: self.enabled != 0,
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

/// A domain, project or role as a token names it.
#[derive(Serialize)]
struct Named<'a> {
    id: &'a str,
    name: &'a str,
}

/// The services of a token's catalog and their endpoints (`/v3/auth/catalog` too).
pub(super) fn catalog_view(catalog: &[CatalogEntry]) -> Value {
    #[derive(Serialize)]
    struct EndpointRef<'a> {
        id: &'a str,
        interface: &'a str,
        region: Option<&'a str>,
        region_id: Option<&'a str>,
        url: &'a str,
    }
    #[derive(Serialize)]
    struct ServiceRef<'a> {
        id: &'a str,
        #[serde(rename = "type")]
        service_type: &'a str,
        name: &'a str,
        endpoints: Vec<EndpointRef<'a>>,
    }
    let services: Vec<ServiceRef> = catalog
        .iter()
        .map(|s| ServiceRef {
            id: &s.id,
            service_type: &s.service_type,
            name: &s.name,
            endpoints: s
                .endpoints
                .iter()
                .map(|e| EndpointRef {
                    id: &e.id,
                    interface: &e.interface,
                    region: e.region_id.as_deref(),
                    region_id: e.region_id.as_deref(),
                    url: &e.url,
                })
                .collect(),
        })
        .collect();
    serde_json::to_value(services).unwrap_or_default()
}

/// `{"all": true}`: the one system a token or an assignment can be scoped to.
#[derive(Serialize)]
pub(super) struct SystemAll {
    all: bool,
}

/// `{"token": …}`: the body Keystone returns from issue and validation. A scoped token
/// names its roles and, when asked, its catalog.
pub(super) fn token_view(auth: &AuthContext, catalog: Option<&[CatalogEntry]>) -> Value {
    #[derive(Serialize)]
    struct TokenUser<'a> {
        id: &'a str,
        name: &'a str,
        domain: Named<'a>,
        password_expires_at: Option<()>,
    }
    #[derive(Serialize)]
    struct ScopedProject<'a> {
        id: &'a str,
        name: &'a str,
        domain: Named<'a>,
    }
    #[derive(Serialize)]
    struct AppCredView<'a> {
        id: &'a str,
        name: &'a str,
        restricted: bool,
    }
    #[derive(Serialize)]
    struct TokenView<'a> {
        methods: &'a [String],
        user: TokenUser<'a>,
        audit_ids: [&'a str; 1],
        issued_at: String,
        expires_at: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        project: Option<ScopedProject<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_domain: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        domain: Option<Named<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        system: Option<SystemAll>,
        #[serde(skip_serializing_if = "Option::is_none")]
        roles: Option<Vec<Named<'a>>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        catalog: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        application_credential: Option<AppCredView<'a>>,
    }
    let (project, domain) = match &auth.scope {
        Scope::Project {
            id,
            name,
            domain_id,
            domain_name,
        } => {
            let domain = Named {
                id: domain_id,
                name: domain_name,
            };
            (Some(ScopedProject { id, name, domain }), None)
        }
        Scope::Domain { id, name } => (None, Some(Named { id, name })),
        Scope::Unscoped | Scope::System => (None, None),
    };
    let scoped = auth.scope != Scope::Unscoped;
    let token = TokenView {
        methods: &auth.methods,
        user: TokenUser {
            id: &auth.user_id,
            name: &auth.user_name,
            domain: Named {
                id: &auth.user_domain_id,
                name: &auth.user_domain_name,
            },
            password_expires_at: None,
        },
        audit_ids: [&auth.audit_id],
        issued_at: iso_micros(auth.issued_at),
        expires_at: iso_micros(auth.expires_at),
        is_domain: project.is_some().then_some(false),
        project,
        domain,
        system: (auth.scope == Scope::System).then_some(SystemAll { all: true }),
        roles: scoped.then(|| {
            auth.roles
                .iter()
                .map(|r| Named {
                    id: &r.id,
                    name: &r.name,
                })
                .collect()
        }),
        catalog: catalog.filter(|_| scoped).map(catalog_view),
        application_credential: auth.app_cred.as_ref().map(|a| AppCredView {
            id: &a.id,
            name: &a.name,
            restricted: a.restricted,
        }),
    };
    json!({ "token": to_value(token) })
}

/// A role as a role inference names it: its id, name and link.
#[derive(Serialize)]
pub(super) struct RoleRef<'a> {
    id: &'a str,
    name: &'a str,
    links: Links,
}

pub(super) fn role_ref<'a>(state: &AppState, role: &'a Role) -> RoleRef<'a> {
    RoleRef {
        id: &role.id,
        name: &role.name,
        links: links(state, "roles", &role.id),
    }
}

/// `{"role_inference": {"prior_role": …, "implies": …}}`: `implies` is one role (a rule)
/// or a list (every role a prior role implies).
pub(super) fn inference_view(state: &AppState, prior: &Role, implies: impl Serialize) -> Value {
    #[derive(Serialize)]
    struct Inference<'a, I> {
        prior_role: RoleRef<'a>,
        implies: I,
    }
    json!({ "role_inference": to_value(Inference { prior_role: role_ref(state, prior), implies }) })
}

/// `{"role_inferences": […]}`: the rules grouped by prior role, as Keystone lists them.
pub(super) fn inferences_view(state: &AppState, rules: &[(Role, Role)]) -> Value {
    let mut by_prior: Vec<(&Role, Vec<RoleRef>)> = Vec::new();
    for (prior, implied) in rules {
        match by_prior.iter_mut().find(|(p, _)| p.id == prior.id) {
            Some((_, implies)) => implies.push(role_ref(state, implied)),
            None => by_prior.push((prior, vec![role_ref(state, implied)])),
        }
    }
    by_prior.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let list: Vec<Value> = by_prior
        .into_iter()
        .map(|(prior, implies)| inference_view(state, prior, implies)["role_inference"].take())
        .collect();
    json!({ "role_inferences": list })
}

/// The names `include_names` adds to an assignment listing: (kind, id) → (name, the
/// (id, name) of its domain).
pub(super) type AssignmentNames = HashMap<(String, String), (String, Option<(String, String)>)>;

/// One line of `/v3/role_assignments`: the role, the user or group, the scope, and links
/// to the grant it comes from (and the group membership or the prior role it goes through).
pub(super) fn assignment_view(
    state: &AppState,
    a: &EffectiveAssignment,
    names: Option<&AssignmentNames>,
) -> Value {
    #[derive(Serialize)]
    struct DomainRef<'a> {
        id: &'a str,
        name: &'a str,
    }
    #[derive(Serialize)]
    struct Ref<'a> {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        domain: Option<DomainRef<'a>>,
    }
    #[derive(Serialize)]
    struct ScopeRef<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        project: Option<Ref<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        domain: Option<Ref<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        system: Option<SystemAll>,
        #[serde(
            rename = "OS-INHERIT:inherited_to",
            skip_serializing_if = "Option::is_none"
        )]
        inherited_to: Option<&'static str>,
    }
    #[derive(Serialize)]
    struct AssignmentLinks {
        assignment: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        membership: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        prior_role: Option<String>,
    }
    #[derive(Serialize)]
    struct AssignmentView<'a> {
        role: Ref<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<Ref<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<Ref<'a>>,
        scope: ScopeRef<'a>,
        links: AssignmentLinks,
    }
    fn named<'a>(names: Option<&'a AssignmentNames>, kind: &str, id: &'a str) -> Ref<'a> {
        let found = names.and_then(|n| n.get(&(kind.to_string(), id.to_string())));
        Ref {
            id,
            name: found.map(|(name, _)| name.as_str()),
            domain: found
                .and_then(|(_, domain)| domain.as_ref())
                .map(|(id, name)| DomainRef { id, name }),
        }
    }
    let base = format!("{}/identity/v3", state.public_url());
    let is_user = a.actor_type == "user";
    let actor = Some(named(names, &a.actor_type, &a.actor_id));
    let (user, group) = if is_user {
        (actor, None)
    } else {
        (None, actor)
    };
    // An inherited grant is made on a domain or a project, for the projects it reaches.
    let (kind, inherited) = match a.target_type.as_str() {
        DOMAIN_PROJECTS => ("domain", true),
        SUBPROJECTS => ("project", true),
        other => (other, false),
    };
    let target = Some(named(names, kind, &a.target_id));
    let (project, domain, system) = match kind {
        "project" => (target, None, None),
        "system" => (None, None, Some(SystemAll { all: true })),
        _ => (None, target, None),
    };
    // The grant's own path: on the system, `/system/users/{u}/roles/{r}`; an inherited
    // one's under `OS-INHERIT`, ending in `inherited_to_projects`.
    let target_path = match (system.is_some(), inherited) {
        (true, _) => "system".to_string(),
        (false, false) => format!("{kind}s/{}", a.target_id),
        (false, true) => format!("OS-INHERIT/{kind}s/{}", a.target_id),
    };
    let suffix = if inherited {
        "/inherited_to_projects"
    } else {
        ""
    };
    // The grant the line comes from: the group's when it is held through one, the prior
    // role's when it is implied.
    let (grantee, grantee_id) = match &a.via_group {
        Some(group) => ("groups", group.as_str()),
        None if is_user => ("users", a.actor_id.as_str()),
        None => ("groups", a.actor_id.as_str()),
    };
    let granted = a.prior_role.as_deref().unwrap_or(&a.role_id);
    to_value(AssignmentView {
        role: named(names, "role", &a.role_id),
        user,
        group,
        scope: ScopeRef {
            project,
            domain,
            system,
            inherited_to: inherited.then_some("projects"),
        },
        links: AssignmentLinks {
            assignment: format!(
                "{base}/{target_path}/{grantee}/{grantee_id}/roles/{granted}{suffix}"
            ),
            membership: a
                .via_group
                .as_ref()
                .map(|g| format!("{base}/groups/{g}/users/{}", a.actor_id)),
            prior_role: a.prior_role.as_ref().map(|p| format!("{base}/roles/{p}")),
        },
    })
}

/// An application credential; `secret` only in the answer that created it.
pub(super) fn app_cred_view(
    state: &AppState,
    a: &AppCred,
    roles: &[Role],
    access_rules: &[AccessRule],
    secret: Option<&str>,
) -> Value {
    #[derive(Serialize)]
    struct RoleView<'a> {
        id: &'a str,
        name: &'a str,
        domain_id: Null,
    }
    #[derive(Serialize)]
    struct RuleView<'a> {
        id: &'a str,
        service: &'a str,
        path: &'a str,
        method: &'a str,
    }
    #[derive(Serialize)]
    struct AppCredView<'a> {
        id: &'a str,
        name: &'a str,
        description: &'a Option<String>,
        user_id: &'a str,
        project_id: &'a str,
        expires_at: Option<String>,
        unrestricted: bool,
        roles: Vec<RoleView<'a>>,
        access_rules: Vec<RuleView<'a>>,
        links: Links,
        #[serde(skip_serializing_if = "Option::is_none")]
        secret: Option<&'a str>,
    }
    to_value(AppCredView {
        id: &a.id,
        name: &a.name,
        description: &a.description,
        user_id: &a.user_id,
        project_id: &a.project_id,
        expires_at: a
            .expires_at
            .map(|s| crate::server::time::iso_naive_micros(s, a.expires_at_us)),
        unrestricted: a.unrestricted != 0,
        roles: roles
            .iter()
            .map(|r| RoleView {
                id: &r.id,
                name: &r.name,
                domain_id: None,
            })
            .collect(),
        access_rules: access_rules
            .iter()
            .map(|r| RuleView {
                id: &r.id,
                service: &r.service,
                path: &r.path,
                method: &r.method,
            })
            .collect(),
        links: links(
            state,
            &format!("users/{}/application_credentials", a.user_id),
            &a.id,
        ),
        secret,
    })
}

/// An access rule (`/v3/users/{id}/access_rules`).
pub(super) fn access_rule_view(state: &AppState, r: &AccessRule) -> Value {
    json!({
        "id": r.id,
        "service": r.service,
        "path": r.path,
        "method": r.method,
        "links": links(state, &format!("users/{}/access_rules", r.user_id), &r.id),
    })
}

impl View for Policy {
    const MEMBER: &'static str = "policy";
    const COLLECTION: &'static str = "policies";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct PolicyView<'a> {
            id: &'a str,
            #[serde(rename = "type")]
            policy_type: &'a str,
            blob: &'a str,
            links: Links,
        }
        PolicyView {
            id: &self.id,
            policy_type: &self.policy_type,
            blob: &self.blob,
            links: links(state, Self::COLLECTION, &self.id),
        }
    }
}

impl View for EndpointGroup {
    const MEMBER: &'static str = "endpoint_group";
    const COLLECTION: &'static str = "endpoint_groups";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct EndpointGroupView<'a> {
            id: &'a str,
            name: &'a str,
            description: &'a str,
            filters: &'a EndpointFilters,
            links: Links,
        }
        EndpointGroupView {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            filters: &self.filters,
            links: links(state, "OS-EP-FILTER/endpoint_groups", &self.id),
        }
    }
}

/// An OAuth consumer; its secret only in the answer to its creation.
impl View for Consumer {
    const MEMBER: &'static str = "consumer";
    const COLLECTION: &'static str = "consumers";
    fn view(&self, state: &AppState) -> impl Serialize {
        #[derive(Serialize)]
        struct ConsumerView<'a> {
            id: &'a str,
            description: &'a Option<String>,
            links: Links,
        }
        ConsumerView {
            id: &self.id,
            description: &self.description,
            links: links(state, "OS-OAUTH1/consumers", &self.id),
        }
    }
}
