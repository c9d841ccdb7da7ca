//! os-simple-tenant-usage: usage reports for every project (administrators) or one.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::view::{audit_view, tenant_usage_view};
use super::{next_links, Mv, NResult, Nova, NovaError};
use crate::server::error::Error;
use crate::server::services::compute::{parse_audit_time, parse_usage_time, UsageQuery};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/os-simple-tenant-usage", get(list))
        .route("/os-simple-tenant-usage/{tenant_id}", get(show))
        .route("/os-instance_usage_audit_log", get(audit_log))
        .route(
            "/os-instance_usage_audit_log/{before}",
            get(audit_log_before),
        )
}

/// The audit of the last whole month (`instance_usage_audit_logs`).
async fn audit_log(State(state): State<AppState>, nova: Nova) -> NResult<Json<Value>> {
    let audit = state.compute.usage_audit(&nova.ctx, None).await?;
    Ok(Json(
        json!({ "instance_usage_audit_logs": audit_view(&audit) }),
    ))
}

/// The audit of the last whole month before a time (`instance_usage_audit_log`).
async fn audit_log_before(
    State(state): State<AppState>,
    nova: Nova,
    Path(before): Path<String>,
) -> NResult<Json<Value>> {
    let before = parse_audit_time(&before)?;
    let audit = state.compute.usage_audit(&nova.ctx, Some(before)).await?;
    Ok(Json(
        json!({ "instance_usage_audit_log": audit_view(&audit) }),
    ))
}

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The window, and paging from 2.40 (before it a page is Nova's max_limit).
fn query(q: &[(String, String)], mv: Mv, project_id: Option<String>) -> NResult<UsageQuery> {
    let start = parse_usage_time(param(q, "start"))?;
    let end = parse_usage_time(param(q, "end"))?;
    let (mut limit, mut marker) = (None, None);
    if mv.at_least(40) {
        if let Some(l) = param(q, "limit") {
            let n: i64 = l
                .parse()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| NovaError(Error::invalid(msg!("Invalid input for query parameters limit. Value: {l}. '{l}' is not a valid non-negative integer", l))))?;
            limit = Some(n);
        }
        marker = param(q, "marker").map(str::to_string);
    }
    Ok(UsageQuery {
        start,
        end,
        project_id,
        marker,
        // Without paging parameters Nova still returns at most max_limit instances.
        limit: Some(limit.unwrap_or(crate::server::services::compute::USAGE_MAX_LIMIT)),
    })
}

async fn list(
    State(state): State<AppState>,
    nova: Nova,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    // Nova takes `1`; openstacksdk (and so `openstack usage list`) sends `True`.
    let detailed =
        param(&q, "detailed").is_some_and(|d| d == "1" || d.eq_ignore_ascii_case("true"));
    let report = state
        .compute
        .usage(&nova.ctx, query(&q, nova.mv, None)?)
        .await?;
    let tenants: Vec<Value> = report
        .tenants
        .iter()
        .map(|t| tenant_usage_view(&report, t, detailed))
        .collect();
    let mut body = json!({"tenant_usages": tenants});
    if let (true, Some(marker)) = (nova.mv.at_least(40), &report.next_marker) {
        body["tenant_usages_links"] = next_links(&state, "os-simple-tenant-usage", &q, marker);
    }
    Ok(Json(body))
}

async fn show(
    State(state): State<AppState>,
    nova: Nova,
    Path(tenant_id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> NResult<Json<Value>> {
    let report = state
        .compute
        .usage(&nova.ctx, query(&q, nova.mv, Some(tenant_id.clone()))?)
        .await?;
    // A project without usage in the window is an empty object, as in Nova.
    let usage = report
        .tenants
        .first()
        .map(|t| tenant_usage_view(&report, t, true))
        .unwrap_or_else(|| json!({}));
    let mut body = json!({"tenant_usage": usage});
    if let (true, Some(marker)) = (nova.mv.at_least(40), &report.next_marker) {
        body["tenant_usage_links"] = next_links(
            &state,
            &format!("os-simple-tenant-usage/{tenant_id}"),
            &q,
            marker,
        );
    }
    Ok(Json(body))
}
