//! `/v3/credentials` and the EC2 form of them, `/v3/users/{user_id}/credentials/OS-EC2`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{collection_links, created, double_option, member, KsJson, KsResult};
use crate::server::context::OpCtx;
use crate::server::services::identity::{Consumer, Credential, CredentialCreate, CredentialUpdate};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/credentials", get(list).post(create))
        .route(
            "/v3/credentials/{id}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/v3/OS-OAUTH1/consumers",
            get(consumer_list).post(consumer_create),
        )
        .route(
            "/v3/OS-OAUTH1/consumers/{id}",
            get(super::view::show::<Consumer>)
                .patch(consumer_update)
                .delete(super::view::remove::<Consumer>),
        )
        .route(
            "/v3/users/{user_id}/credentials/OS-EC2",
            get(ec2_list).post(ec2_create),
        )
        .route(
            "/v3/users/{user_id}/credentials/OS-EC2/{access}",
            get(ec2_show).delete(ec2_delete),
        )
}

#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    this: String,
}

fn credential_view(state: &AppState, c: &Credential) -> Value {
    #[derive(Serialize)]
    struct CredentialView<'a> {
        id: &'a str,
        user_id: &'a str,
        project_id: &'a Option<String>,
        #[serde(rename = "type")]
        cred_type: &'a str,
        blob: &'a str,
        links: SelfLink,
    }
    serde_json::to_value(CredentialView {
        id: &c.id,
        user_id: &c.user_id,
        project_id: &c.project_id,
        cred_type: &c.cred_type,
        blob: &c.blob,
        links: SelfLink {
            this: format!("{}/identity/v3/credentials/{}", state.public_url(), c.id),
        },
    })
    .unwrap_or_default()
}

#[derive(Deserialize)]
struct CreateBody {
    user_id: String,
    project_id: Option<String>,
    #[serde(rename = "type")]
    cred_type: String,
    blob: String,
}

async fn create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: CreateBody = member(&body, "credential")?;
    let c = state
        .identity
        .credential_create(
            &ctx,
            CredentialCreate {
                user_id: b.user_id,
                project_id: b.project_id,
                cred_type: b.cred_type,
                blob: b.blob,
            },
        )
        .await?;
    Ok(created(
        json!({ "credential": credential_view(&state, &c) }),
    ))
}

async fn list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Query(q): Query<HashMap<String, String>>,
) -> KsResult<Json<Value>> {
    let list = state
        .identity
        .credential_list(
            &ctx,
            q.get("user_id").map(String::as_str),
            q.get("type").map(String::as_str),
        )
        .await?;
    let views: Vec<Value> = list.iter().map(|c| credential_view(&state, c)).collect();
    Ok(Json(
        json!({ "credentials": views, "links": collection_links(&state, "credentials") }),
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<Json<Value>> {
    let c = state.identity.credential_get(&ctx, &id).await?;
    Ok(Json(json!({ "credential": credential_view(&state, &c) })))
}

#[derive(Deserialize)]
struct PatchBody {
    #[serde(default, deserialize_with = "double_option")]
    project_id: Option<Option<String>>,
    #[serde(rename = "type")]
    cred_type: Option<String>,
    blob: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: PatchBody = member(&body, "credential")?;
    let c = state
        .identity
        .credential_update(
            &ctx,
            &id,
            CredentialUpdate {
                project_id: b.project_id,
                cred_type: b.cred_type,
                blob: b.blob,
            },
        )
        .await?;
    Ok(Json(json!({ "credential": credential_view(&state, &c) })))
}

async fn remove(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
) -> KsResult<StatusCode> {
    state.identity.credential_delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An EC2 credential as `OS-EC2` shows it: its access key and secret, and the project
/// as `tenant_id`.
fn ec2_view(state: &AppState, c: &Credential) -> Value {
    let ec2 = c.ec2();
    let access = ec2.as_ref().map(|e| e.access.as_str()).unwrap_or_default();
    json!({
        "user_id": c.user_id,
        "tenant_id": c.project_id,
        "access": access,
        "secret": ec2.as_ref().map(|e| e.secret.as_str()).unwrap_or_default(),
        "trust_id": null,
        "links": SelfLink {
            this: format!(
                "{}/identity/v3/users/{}/credentials/OS-EC2/{access}",
                state.public_url(),
                c.user_id
            ),
        },
    })
}

#[derive(Deserialize)]
struct Ec2Body {
    tenant_id: String,
}

async fn ec2_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(user_id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: Ec2Body = serde_json::from_value(body).map_err(|e| {
        super::KsError(crate::server::error::Error::invalid(msg!(
            "Invalid input for field 'tenant_id': {e}",
            e = e.to_string()
        )))
    })?;
    let c = state
        .identity
        .ec2_create(&ctx, &user_id, &b.tenant_id)
        .await?;
    Ok(created(json!({ "credential": ec2_view(&state, &c) })))
}

async fn ec2_list(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(user_id): Path<String>,
) -> KsResult<Json<Value>> {
    let list = state
        .identity
        .credential_list(
            &ctx,
            Some(&user_id),
            Some(crate::server::services::identity::EC2),
        )
        .await?;
    let views: Vec<Value> = list.iter().map(|c| ec2_view(&state, c)).collect();
    let path = format!("users/{user_id}/credentials/OS-EC2");
    Ok(Json(
        json!({ "credentials": views, "links": collection_links(&state, &path) }),
    ))
}

async fn ec2_show(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((user_id, access)): Path<(String, String)>,
) -> KsResult<Json<Value>> {
    let c = state.identity.ec2_get(&ctx, &user_id, &access).await?;
    Ok(Json(json!({ "credential": ec2_view(&state, &c) })))
}

async fn ec2_delete(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path((user_id, access)): Path<(String, String)>,
) -> KsResult<StatusCode> {
    state.identity.ec2_delete(&ctx, &user_id, &access).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ConsumerBody {
    description: Option<String>,
}

async fn consumer_list(State(state): State<AppState>, ctx: OpCtx) -> KsResult<Json<Value>> {
    let list = state.identity.consumer_list(&ctx).await?;
    Ok(super::view::many_at(&state, &list, "OS-OAUTH1/consumers"))
}

/// `201` with the consumer and, this once, its secret.
async fn consumer_create(
    State(state): State<AppState>,
    ctx: OpCtx,
    KsJson(body): KsJson<Value>,
) -> KsResult<Response> {
    let b: ConsumerBody = member(&body, "consumer")?;
    let made = state.identity.consumer_create(&ctx, b.description).await?;
    let mut view = super::view::one(&state, &made.consumer).0;
    view["consumer"]["secret"] = made.secret.into();
    Ok(axum::response::IntoResponse::into_response((
        StatusCode::CREATED,
        Json(view),
    )))
}

async fn consumer_update(
    State(state): State<AppState>,
    ctx: OpCtx,
    Path(id): Path<String>,
    KsJson(body): KsJson<Value>,
) -> KsResult<Json<Value>> {
    let b: ConsumerBody = member(&body, "consumer")?;
    let c = state
        .identity
        .consumer_update(&ctx, &id, b.description)
        .await?;
    Ok(super::view::one(&state, &c))
}
