//! Security groups and security group rules.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value};

use super::view::{self, Listed, RuleOf, Writable};
use super::{
    bad_request, body_member, opt_bool, opt_int, opt_str, ListParams, NJson, NResult, Neutron,
};
use crate::server::context::OpCtx;
use crate::server::error::Result;
use crate::server::services::network::{
    NetworkService, RuleCreate, SecurityGroup, SecurityGroupCreate, SecurityGroupQuery,
    SecurityGroupRule,
};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/security-groups",
            get(view::list::<SecurityGroup>).post(view::create::<SecurityGroup>),
        )
        .route(
            "/security-groups/{id}",
            get(view::show::<SecurityGroup>)
                .put(view::update::<SecurityGroup>)
                .delete(view::remove::<SecurityGroup>),
        )
        .route("/security-group-rules", get(rule_list).post(rule_create))
        .route(
            "/security-group-rules/{id}",
            get(rule_show).delete(rule_delete),
        )
}

impl Writable for SecurityGroup {
    const CREATE_ATTRS: &'static [&'static str] =
        &["name", "description", "stateful", "project_id", "tenant_id"];
    const UPDATE_ATTRS: &'static [&'static str] = &["name", "description"];
    type Create = SecurityGroupCreate;
    /// The new name and description.
    type Update = (Option<String>, Option<String>);

    fn read_create(obj: &Map<String, Value>) -> NResult<SecurityGroupCreate> {
        Ok(SecurityGroupCreate {
            name: opt_str(obj, "name")?.unwrap_or_default(),
            description: opt_str(obj, "description")?.unwrap_or_default(),
            stateful: opt_bool(obj, "stateful")?,
            project_id: super::networks::project_of(obj)?,
        })
    }

    fn read_update(obj: &Map<String, Value>) -> NResult<Self::Update> {
        Ok((opt_str(obj, "name")?, opt_str(obj, "description")?))
    }

    async fn create(
        network: &NetworkService,
        ctx: &OpCtx,
        req: SecurityGroupCreate,
    ) -> Result<SecurityGroup> {
        network.security_group_create(ctx, req).await
    }

    async fn update(
        network: &NetworkService,
        ctx: &OpCtx,
        id: &str,
        (name, description): Self::Update,
    ) -> Result<SecurityGroup> {
        network
            .security_group_update(ctx, id, name, description)
            .await
    }
}

impl Listed for SecurityGroup {
    type Query = SecurityGroupQuery;

    fn query(p: &ListParams, limit: Option<i64>) -> NResult<SecurityGroupQuery> {
        Ok(SecurityGroupQuery {
            ids: p.all("id"),
            name: p.all("name"),
            project_id: p.project_ids(),
            marker: p.get("marker"),
            limit,
        })
    }

    async fn list(
        network: &NetworkService,
        ctx: &OpCtx,
        q: SecurityGroupQuery,
    ) -> Result<Vec<SecurityGroup>> {
        network.security_group_list(ctx, q).await
    }
}

async fn rule_create(
    State(state): State<AppState>,
    n: Neutron,
    NJson(body): NJson,
) -> NResult<(StatusCode, Json<Value>)> {
    let obj = body_member(
        &body,
        "security_group_rule",
        &[
            "security_group_id",
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
            "remote_address_group_id",
            "description",
            "project_id",
            "tenant_id",
        ],
    )?;
    let protocol = match obj.get("protocol") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => opt_str(obj, "protocol")?,
    };
    let req = RuleCreate {
        security_group_id: opt_str(obj, "security_group_id")?.ok_or_else(|| {
            bad_request(msg!(
                "Failed to parse request. Required attribute 'security_group_id' not specified"
            ))
        })?,
        direction: opt_str(obj, "direction")?.ok_or_else(|| {
            bad_request(msg!(
                "Failed to parse request. Required attribute 'direction' not specified"
            ))
        })?,
        ethertype: opt_str(obj, "ethertype")?,
        protocol,
        port_range_min: opt_int(obj, "port_range_min")?,
        port_range_max: opt_int(obj, "port_range_max")?,
        remote_ip_prefix: opt_str(obj, "remote_ip_prefix")?,
        remote_group_id: opt_str(obj, "remote_group_id")?,
        description: opt_str(obj, "description")?.unwrap_or_default(),
    };
    let (r, default) = state.network.rule_create(&n.ctx, req).await?;
    Ok(view::created(&RuleOf(&r, default), &n))
}

async fn rule_list(
    State(state): State<AppState>,
    n: Neutron,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let p = ListParams { pairs: q };
    let groups = state
        .network
        .security_group_list(
            &n.ctx,
            SecurityGroupQuery {
                ids: p.all("security_group_id"),
                project_id: p.project_ids(),
                ..Default::default()
            },
        )
        .await?;
    // A repeated parameter is "any of", as in every Neutron list.
    let any_of = |key: &str, value: Option<&String>| {
        let wanted = p.all(key);
        wanted.is_empty() || value.is_some_and(|v| wanted.contains(v))
    };
    let matches = |r: &SecurityGroupRule| {
        any_of("direction", Some(&r.direction))
            && any_of("ethertype", Some(&r.ethertype))
            && any_of("protocol", r.protocol.as_ref())
    };
    let rules: Vec<RuleOf> = groups
        .iter()
        .flat_map(|g| {
            g.rules
                .iter()
                .filter(|r| matches(r))
                .map(|r| RuleOf(r, g.is_default))
        })
        .collect();
    Ok(view::many(&state, &p, &rules, &n, None))
}

async fn rule_show(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
) -> NResult<Json<Value>> {
    let r = state.network.rule_get(&n.ctx, &id).await?;
    let default = state
        .network
        .security_group_get(&n.ctx, &r.security_group_id)
        .await
        .map(|g| g.is_default)
        .unwrap_or(false);
    Ok(view::one(&RuleOf(&r, default), &n))
}

async fn rule_delete(
    State(state): State<AppState>,
    n: Neutron,
    Path(id): Path<String>,
) -> NResult<StatusCode> {
    state.network.rule_delete(&n.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
