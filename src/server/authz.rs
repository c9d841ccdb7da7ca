//! Authorization: the whole policy is the one `match` in `allowed`.
//!
//! Services call `authorize` before they act (or `visible` to filter lists). Policy is
//! separate from the code that acts on it, so the table test below is the policy's
//! specification. Rules:
//! - `admin` in any scope administers everything.
//! - A `reader` of the system (a system-scoped token; `member` and `admin` imply `reader`)
//!   reads everything: every project's resources and the cloud's configuration.
//! - A project's `member` manages that project's resources; its `reader` reads them.
//! - Every user reads and manages itself: its password and application credentials.
//! - Anything scoped to a project the caller holds no role on does not exist for it (404);
//!   global identity objects (domains, roles, other users) are refused with 403, as Keystone does.

use crate::server::context::{OpCtx, Scope};
use crate::server::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    List,
    Create,
    Modify,
    Delete,
}

/// What an action is applied to.
#[derive(Clone, Copy, Debug)]
pub enum Resource<'a> {
    /// Administrators only: the cloud's identity configuration (domains, roles, groups,
    /// regions, services, endpoints, other users) and the like (making an image public).
    AdminOnly(&'static str),
    /// A project itself (show, members).
    Project { id: &'a str },
    /// A user acting on itself (show, change password, list own projects).
    User { id: &'a str },
    /// An application credential of a user.
    AppCred { user_id: &'a str },
    /// A credential of a user (`/v3/credentials`, EC2 access keys): its owner's, and not
    /// through an application credential.
    Credential { user_id: &'a str },
    /// Another token, validated or revoked for a caller (`GET/HEAD/DELETE /v3/auth/tokens`):
    /// its owner, administrators and services (Keystone's `identity:validate_token` and
    /// `identity:revoke_token`).
    Token { user_id: &'a str },
    /// The catalog and the endpoint list: every authenticated user reads them.
    Catalog,
    /// An image: beyond its owner, everyone reads a public or community image, and the
    /// projects it is shared with read a shared one (`member`).
    Image {
        id: &'a str,
        owner: &'a str,
        visibility: &'a str,
        member: bool,
    },
    /// A network, or a subnet of one: beyond its project, every project reads a shared or
    /// external (`router:external`) one.
    Shareable {
        kind: &'static str,
        id: &'a str,
        project_id: &'a str,
        shared: bool,
    },
    /// Calls one OpenStack service makes to another (Nova's `service_api` rule, such as
    /// Neutron's external events): administrators and users with the `service` role.
    ServiceApi(&'static str),
    /// A resource owned by a project (instances, key pairs, ports ...).
    ProjectOwned {
        kind: &'static str,
        id: &'a str,
        project_id: &'a str,
    },
}

/// The caller's standing, as far as policy cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    Admin,
    Member,
    Reader,
    Outsider,
}

/// A system-scoped caller with `reader` (Keystone's `role:reader and system_scope:all`).
fn system_reader(ctx: &OpCtx) -> bool {
    ctx.auth.scope == Scope::System && ctx.auth.has_role("reader")
}

fn standing_in(ctx: &OpCtx, project_id: &str) -> Standing {
    let auth = &ctx.auth;
    if auth.has_role("admin") {
        return Standing::Admin;
    }
    if system_reader(ctx) {
        return Standing::Reader;
    }
    match &auth.scope {
        Scope::Project { id, .. } if id == project_id => {
            if auth.has_role("member") {
                Standing::Member
            } else if auth.has_role("reader") {
                Standing::Reader
            } else {
                Standing::Outsider
            }
        }
        _ => Standing::Outsider,
    }
}

/// The policy. `true` when the action is allowed.
fn allowed(ctx: &OpCtx, action: Action, resource: Resource<'_>) -> bool {
    use Action::*;
    if ctx.auth.has_role("admin") {
        return true;
    }
    if system_reader(ctx) && matches!(action, Read | List) {
        return true;
    }
    match resource {
        Resource::AdminOnly(_) => false,
        Resource::ServiceApi(_) => ctx.auth.has_role("service"),
        Resource::Project { id } => {
            matches!(
                (standing_in(ctx, id), action),
                (Standing::Member | Standing::Reader, Read | List)
            )
        }
        Resource::User { id } => id == ctx.auth.user_id && matches!(action, Read | List | Modify),
        Resource::AppCred { user_id } | Resource::Credential { user_id } => {
            user_id == ctx.auth.user_id && ctx.auth.app_cred.is_none()
        }
        Resource::Token { user_id } => {
            matches!(action, Read | Delete)
                && (user_id == ctx.auth.user_id || ctx.auth.has_role("service"))
        }
        Resource::Catalog => matches!(action, Read | List),
        Resource::Image {
            owner,
            visibility,
            member,
            ..
        } => match (standing_in(ctx, owner), action) {
            (Standing::Member, _) => true,
            (Standing::Reader, Read | List) => true,
            (_, Read | List) => image_readable_by_others(visibility, member),
            _ => false,
        },
        Resource::ProjectOwned { project_id, .. } => match (standing_in(ctx, project_id), action) {
            (Standing::Member, _) => true,
            (Standing::Reader, Read | List) => true,
            _ => false,
        },
        Resource::Shareable {
            project_id, shared, ..
        } => match (standing_in(ctx, project_id), action) {
            (Standing::Member, _) => true,
            (Standing::Reader, Read | List) => true,
            (_, Read | List) => shared,
            _ => false,
        },
    }
}

/// Checks an action; a refusal is a 404 for project resources and a 403 for global ones.
pub fn authorize(ctx: &OpCtx, action: Action, resource: Resource<'_>) -> Result<(), Error> {
    if allowed(ctx, action, resource) {
        return Ok(());
    }
    Err(match resource {
        Resource::AdminOnly(policy) | Resource::ServiceApi(policy) => Error::forbidden(policy),
        // Keystone refuses another project with a 403 (clients such as `openstack image
        // add project` rely on it to tell "not yours" from "no such project").
        Resource::Project { .. } => {
            if matches!(action, Read | List) {
                Error::forbidden("identity:get_project")
            } else {
                Error::forbidden("identity:project")
            }
        }
        Resource::User { id } if id == ctx.auth.user_id => Error::forbidden("identity:user"),
        Resource::User { .. } => Error::forbidden("identity:get_user"),
        Resource::AppCred { .. } => Error::forbidden("identity:application_credential"),
        Resource::Credential { .. } => Error::forbidden("identity:credential"),
        Resource::Token { .. } => Error::forbidden("identity:validate_token"),
        Resource::Catalog => Error::forbidden("identity:catalog"),
        Resource::Image {
            id,
            owner,
            visibility,
            member,
        } => {
            if standing_in(ctx, owner) == Standing::Outsider
                && !image_readable_by_others(visibility, member)
            {
                Error::not_found("image", id)
            } else {
                Error::forbidden("image")
            }
        }
        Resource::ProjectOwned {
            kind,
            id,
            project_id,
        } => {
            if standing_in(ctx, project_id) == Standing::Outsider {
                Error::not_found(kind, id)
            } else {
                Error::forbidden(kind)
            }
        }
        Resource::Shareable {
            kind,
            id,
            project_id,
            shared,
        } => {
            if standing_in(ctx, project_id) == Standing::Outsider && !shared {
                Error::not_found(kind, id)
            } else {
                Error::forbidden(kind)
            }
        }
    })
}

use Action::*;

fn image_readable_by_others(visibility: &str, member: bool) -> bool {
    matches!(visibility, "public" | "community") || (visibility == "shared" && member)
}

/// Whether the caller may see a project-owned resource (list filtering).
pub fn visible(ctx: &OpCtx, project_id: &str) -> bool {
    standing_in(ctx, project_id) != Standing::Outsider
}

/// The project a listing of project-owned resources is confined to, for filtering in the
/// query itself: `None` (every project) for an administrator, else the caller's own
/// project (`-`, which matches none, for a caller without one).
pub fn visible_project(ctx: &OpCtx) -> Option<String> {
    if is_admin(ctx) || system_reader(ctx) {
        None
    } else {
        Some(ctx.auth.project_id().unwrap_or("-").to_string())
    }
}

/// Whether the caller reads every project's resources: an administrator, or a reader
/// of the system.
pub fn reads_all_projects(ctx: &OpCtx) -> bool {
    is_admin(ctx) || system_reader(ctx)
}

pub fn is_admin(ctx: &OpCtx) -> bool {
    ctx.auth.has_role("admin")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::server::context::{AuthContext, RoleRef};

    fn ctx(roles: &[&str], project: &str, user: &str) -> OpCtx {
        OpCtx {
            request_id: "req".into(),
            token: Arc::from("t"),
            auth: Arc::new(AuthContext {
                user_id: user.into(),
                user_name: user.into(),
                user_domain_id: "default".into(),
                user_domain_name: "Default".into(),
                password_expires_at: None,
                scope: Scope::Project {
                    id: project.into(),
                    name: project.into(),
                    domain_id: "default".into(),
                    domain_name: "Default".into(),
                },
                roles: roles
                    .iter()
                    .map(|r| RoleRef {
                        id: r.to_string(),
                        name: r.to_string(),
                    })
                    .collect(),
                methods: vec!["password".into()],
                issued_at: 0,
                expires_at: i64::MAX,
                audit_id: "a".into(),
                app_cred: None,
            }),
        }
    }

    /// Renders the outcome of every (standing, action, resource) as one line each, so
    /// the whole policy reads as a table and any change shows up as a diff.
    fn outcome(r: Result<(), Error>) -> &'static str {
        match r {
            Ok(()) => "allow",
            Err(Error::NotFound { .. }) => "404",
            Err(Error::Forbidden(_)) => "403",
            Err(_) => "other",
        }
    }

    #[test]
    fn policy_table() {
        let callers = [
            (
                "admin@other",
                ctx(&["admin", "member", "reader"], "p2", "u-admin"),
            ),
            ("member@p1", ctx(&["member", "reader"], "p1", "u1")),
            ("reader@p1", ctx(&["reader"], "p1", "u1")),
            ("member@p2", ctx(&["member", "reader"], "p2", "u2")),
            ("norole@p1", ctx(&[], "p1", "u1")),
            ("reader@sys", {
                let mut c = ctx(&["reader"], "p9", "u9");
                Arc::make_mut(&mut c.auth).scope = Scope::System;
                c
            }),
            ("service@p9", ctx(&["service"], "p9", "u9")),
        ];
        let resources: [(&str, Resource<'static>); 15] = [
            (
                "identity-admin",
                Resource::AdminOnly("identity:create_role"),
            ),
            ("project p1", Resource::Project { id: "p1" }),
            ("user u1 (self for u1)", Resource::User { id: "u1" }),
            ("app-cred of u1", Resource::AppCred { user_id: "u1" }),
            ("credential of u1", Resource::Credential { user_id: "u1" }),
            ("token of u1", Resource::Token { user_id: "u1" }),
            ("catalog", Resource::Catalog),
            (
                "server in p1",
                Resource::ProjectOwned {
                    kind: "server",
                    id: "s1",
                    project_id: "p1",
                },
            ),
            (
                "server in p3",
                Resource::ProjectOwned {
                    kind: "server",
                    id: "s3",
                    project_id: "p3",
                },
            ),
            (
                "public image of p3",
                Resource::Image {
                    id: "i1",
                    owner: "p3",
                    visibility: "public",
                    member: false,
                },
            ),
            (
                "private image of p1",
                Resource::Image {
                    id: "i2",
                    owner: "p1",
                    visibility: "private",
                    member: false,
                },
            ),
            (
                "image shared w/ caller",
                Resource::Image {
                    id: "i3",
                    owner: "p3",
                    visibility: "shared",
                    member: true,
                },
            ),
            (
                "shared network of p3",
                Resource::Shareable {
                    kind: "network",
                    id: "n1",
                    project_id: "p3",
                    shared: true,
                },
            ),
            (
                "private network of p1",
                Resource::Shareable {
                    kind: "network",
                    id: "n2",
                    project_id: "p1",
                    shared: false,
                },
            ),
            (
                "service-api",
                Resource::ServiceApi("os_compute_api:os-server-external-events:create"),
            ),
        ];
        let actions = [Read, List, Create, Modify, Delete];
        let mut table = String::new();
        for (caller, c) in &callers {
            for (res_name, res) in &resources {
                let row: Vec<&str> = actions
                    .iter()
                    .map(|a| outcome(authorize(c, *a, *res)))
                    .collect();
                table.push_str(&format!("{caller:<12} {res_name:<22} {}\n", row.join(" ")));
            }
        }
        let expected = "\
admin@other  identity-admin         allow allow allow allow allow
admin@other  project p1             allow allow allow allow allow
admin@other  user u1 (self for u1)  allow allow allow allow allow
admin@other  app-cred of u1         allow allow allow allow allow
admin@other  credential of u1       allow allow allow allow allow
admin@other  token of u1            allow allow allow allow allow
admin@other  catalog                allow allow allow allow allow
admin@other  server in p1           allow allow allow allow allow
admin@other  server in p3           allow allow allow allow allow
admin@other  public image of p3     allow allow allow allow allow
admin@other  private image of p1    allow allow allow allow allow
admin@other  image shared w/ caller allow allow allow allow allow
admin@other  shared network of p3   allow allow allow allow allow
admin@other  private network of p1  allow allow allow allow allow
admin@other  service-api            allow allow allow allow allow
member@p1    identity-admin         403 403 403 403 403
member@p1    project p1             allow allow 403 403 403
member@p1    user u1 (self for u1)  allow allow 403 allow 403
member@p1    app-cred of u1         allow allow allow allow allow
member@p1    credential of u1       allow allow allow allow allow
member@p1    token of u1            allow 403 403 403 allow
member@p1    catalog                allow allow 403 403 403
member@p1    server in p1           allow allow allow allow allow
member@p1    server in p3           404 404 404 404 404
member@p1    public image of p3     allow allow 403 403 403
member@p1    private image of p1    allow allow allow allow allow
member@p1    image shared w/ caller allow allow 403 403 403
member@p1    shared network of p3   allow allow 403 403 403
member@p1    private network of p1  allow allow allow allow allow
member@p1    service-api            403 403 403 403 403
reader@p1    identity-admin         403 403 403 403 403
reader@p1    project p1             allow allow 403 403 403
reader@p1    user u1 (self for u1)  allow allow 403 allow 403
reader@p1    app-cred of u1         allow allow allow allow allow
reader@p1    credential of u1       allow allow allow allow allow
reader@p1    token of u1            allow 403 403 403 allow
reader@p1    catalog                allow allow 403 403 403
reader@p1    server in p1           allow allow 403 403 403
reader@p1    server in p3           404 404 404 404 404
reader@p1    public image of p3     allow allow 403 403 403
reader@p1    private image of p1    allow allow 403 403 403
reader@p1    image shared w/ caller allow allow 403 403 403
reader@p1    shared network of p3   allow allow 403 403 403
reader@p1    private network of p1  allow allow 403 403 403
reader@p1    service-api            403 403 403 403 403
member@p2    identity-admin         403 403 403 403 403
member@p2    project p1             403 403 403 403 403
member@p2    user u1 (self for u1)  403 403 403 403 403
member@p2    app-cred of u1         403 403 403 403 403
member@p2    credential of u1       403 403 403 403 403
member@p2    token of u1            403 403 403 403 403
member@p2    catalog                allow allow 403 403 403
member@p2    server in p1           404 404 404 404 404
member@p2    server in p3           404 404 404 404 404
member@p2    public image of p3     allow allow 403 403 403
member@p2    private image of p1    404 404 404 404 404
member@p2    image shared w/ caller allow allow 403 403 403
member@p2    shared network of p3   allow allow 403 403 403
member@p2    private network of p1  404 404 404 404 404
member@p2    service-api            403 403 403 403 403
norole@p1    identity-admin         403 403 403 403 403
norole@p1    project p1             403 403 403 403 403
norole@p1    user u1 (self for u1)  allow allow 403 allow 403
norole@p1    app-cred of u1         allow allow allow allow allow
norole@p1    credential of u1       allow allow allow allow allow
norole@p1    token of u1            allow 403 403 403 allow
norole@p1    catalog                allow allow 403 403 403
norole@p1    server in p1           404 404 404 404 404
norole@p1    server in p3           404 404 404 404 404
norole@p1    public image of p3     allow allow 403 403 403
norole@p1    private image of p1    404 404 404 404 404
norole@p1    image shared w/ caller allow allow 403 403 403
norole@p1    shared network of p3   allow allow 403 403 403
norole@p1    private network of p1  404 404 404 404 404
norole@p1    service-api            403 403 403 403 403
reader@sys   identity-admin         allow allow 403 403 403
reader@sys   project p1             allow allow 403 403 403
reader@sys   user u1 (self for u1)  allow allow 403 403 403
reader@sys   app-cred of u1         allow allow 403 403 403
reader@sys   credential of u1       allow allow 403 403 403
reader@sys   token of u1            allow allow 403 403 403
reader@sys   catalog                allow allow 403 403 403
reader@sys   server in p1           allow allow 403 403 403
reader@sys   server in p3           allow allow 403 403 403
reader@sys   public image of p3     allow allow 403 403 403
reader@sys   private image of p1    allow allow 403 403 403
reader@sys   image shared w/ caller allow allow 403 403 403
reader@sys   shared network of p3   allow allow 403 403 403
reader@sys   private network of p1  allow allow 403 403 403
reader@sys   service-api            allow allow 403 403 403
service@p9   identity-admin         403 403 403 403 403
service@p9   project p1             403 403 403 403 403
service@p9   user u1 (self for u1)  403 403 403 403 403
service@p9   app-cred of u1         403 403 403 403 403
service@p9   credential of u1       403 403 403 403 403
service@p9   token of u1            allow 403 403 403 allow
service@p9   catalog                allow allow 403 403 403
service@p9   server in p1           404 404 404 404 404
service@p9   server in p3           404 404 404 404 404
service@p9   public image of p3     allow allow 403 403 403
service@p9   private image of p1    404 404 404 404 404
service@p9   image shared w/ caller allow allow 403 403 403
service@p9   shared network of p3   allow allow 403 403 403
service@p9   private network of p1  404 404 404 404 404
service@p9   service-api            allow allow allow allow allow
";
        assert_eq!(table, expected, "policy changed:\n{table}");
    }

    #[test]
    fn application_credentials_cannot_manage_credentials() {
        let mut c = ctx(&["member"], "p1", "u1");
        Arc::make_mut(&mut c.auth).app_cred = Some(crate::server::context::AppCredRef {
            id: "x".into(),
            name: "x".into(),
            restricted: true,
            access_rules: None,
        });
        assert_eq!(
            outcome(authorize(&c, Create, Resource::AppCred { user_id: "u1" })),
            "403"
        );
    }
}
