//! The Neutron v2.0 API under `/networking`: version documents, extensions, networks,
//! subnets, ports, security groups, routers, floating IPs, agents and quotas. Faults are
//! `{"NeutronError": {"type", "message", "detail"}}`.

mod l3;
mod networks;
mod quotas;
mod security_groups;
mod view;

use crate::message::Message;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::server::context::OpCtx;
use crate::server::error::Error;
use crate::server::services::network::{refuse, Fault};
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    let api = Router::new()
        .route("/extensions", get(extensions))
        .route("/extensions/{alias}", get(extension))
        .route("/service-providers", get(service_providers))
        .merge(networks::routes())
        .merge(l3::routes())
        .merge(quotas::routes())
        .merge(security_groups::routes())
        .fallback(not_found);
    Router::new()
        .route("/", get(versions))
        .route("/v2.0", get(resources))
        .route("/v2.0/", get(resources))
        .nest("/v2.0", api)
        .fallback(not_found)
}

async fn not_found() -> NeutronError {
    NeutronError(refuse(
        Fault::HTTPNotFound,
        Error::not_found("resource", "the requested URL"),
    ))
}

/// `GET /networking` and `/networking/`: the one version, v2.0.
pub async fn versions(State(state): State<AppState>) -> Json<Value> {
    let href = format!("{}/networking/v2.0/", state.public_url());
    Json(
        json!({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}]}),
    )
}

async fn resources(State(state): State<AppState>) -> Json<Value> {
    let base = format!("{}/networking/v2.0", state.public_url());
    let list: Vec<Value> = [
        ("network", "networks"),
        ("subnet", "subnets"),
        ("port", "ports"),
        ("security_group", "security-groups"),
        ("security_group_rule", "security-group-rules"),
        ("router", "routers"),
        ("floatingip", "floatingips"),
        ("agent", "agents"),
    ]
    .iter()
    .map(|(name, collection)| {
        json!({"name": name, "collection": collection, "links": [{"rel": "self", "href": format!("{base}/{collection}")}]})
    })
    .collect();
    Json(json!({"resources": list}))
}

/// The API extensions this cloud implements (clients look some up before they use them).
const EXTENSIONS: [(&str, &str, &str); 17] = [
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
    ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
    ("extraroute-atomic", "Atomically add/remove extra routes", "Edit extra routes of a router on server side by atomically adding/removing extra routes"),
    ("agent", "agent", "The agent management extension."),
    ("security-group", "security-group", "The security groups extension."),
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("port-security", "Port Security", "Provides port security"),
    ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("quotas", "Quota management support", "Expose functions for quotas management per project"),
    ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
    ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
];

fn extension_view(alias: &str, name: &str, description: &str) -> Value {
    json!({"alias": alias, "name": name, "description": description, "links": [], "updated": "2013-01-20T00:00:00-00:00"})
}

/// The advanced services' providers (load balancers, VPNs, ...): none yet; routers are
/// the core's own, as Neutron lists no provider for them unless one is configured.
async fn service_providers(_n: Neutron) -> Json<Value> {
    Json(json!({"service_providers": []}))
}

async fn extensions(_n: Neutron) -> Json<Value> {
    let list: Vec<Value> = EXTENSIONS
        .iter()
        .map(|(a, n, d)| extension_view(a, n, d))
        .collect();
    Json(json!({"extensions": list}))
}

async fn extension(
    _n: Neutron,
    axum::extract::Path(alias): axum::extract::Path<String>,
) -> NResult<Json<Value>> {
    EXTENSIONS
        .iter()
        .find(|(a, _, _)| *a == alias)
        .map(|(a, n, d)| Json(json!({"extension": extension_view(a, n, d)})))
        .ok_or_else(|| {
            NeutronError(refuse(
                Fault::ExtensionNotFound,
                Error::not_found("extension", alias),
            ))
        })
}

// --- Faults ------------------------------------------------------------------------------

/// A service error rendered as Neutron renders its exceptions.
#[derive(Debug)]
pub struct NeutronError(pub Error);

impl From<Error> for NeutronError {
    fn from(e: Error) -> Self {
        NeutronError(e)
    }
}

pub type NResult<T> = Result<T, NeutronError>;

fn capitalized(kind: &str) -> String {
    kind.split(['_', ' '])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl IntoResponse for NeutronError {
    fn into_response(self) -> Response {
        self.0.log();
        let plain = self.0.plain();
        let status = match plain {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict(_) | Error::OverQuota(_) => StatusCode::CONFLICT,
            Error::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_) | Error::AccountLocked { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Internal(_) | Error::Coded { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let kind = match (&self.0, plain) {
            (Error::Coded { code, .. }, _) => code.to_string(),
            (_, Error::NotFound { kind, .. }) => format!("{}NotFound", capitalized(kind)),
            (_, Error::InvalidRequest(_)) => Fault::HTTPBadRequest.as_str().into(),
            (_, Error::Conflict(_)) => Fault::Conflict.as_str().into(),
            (_, Error::OverQuota(_)) => Fault::OverQuota.as_str().into(),
            (_, Error::Forbidden(_)) => Fault::HTTPForbidden.as_str().into(),
            (_, Error::Unauthenticated(_) | Error::AccountLocked { .. }) => {
                Fault::HTTPUnauthorized.as_str().into()
            }
            _ => Fault::NeutronException.as_str().into(),
        };
        let message = match plain {
            Error::NotFound { kind, id } if *kind == "resource" => {
                format!("The resource could not be found: {id}.")
            }
            Error::NotFound { kind, id } => {
                format!("{} {id} could not be found.", capitalized(kind))
            }
            e => e.external_message(),
        };
        let body = json!({"NeutronError": {"type": kind, "message": message, "detail": ""}});
        (status, Json(body)).into_response()
    }
}

// --- Request parts -----------------------------------------------------------------------

/// The caller of a Neutron request.
pub struct Neutron {
    pub ctx: OpCtx,
}

impl FromRequestParts<AppState> for Neutron {
    type Rejection = NeutronError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> NResult<Self> {
        let ctx = crate::server::rest::caller(parts, state)
            .await
            .map_err(NeutronError)?;
        Ok(Neutron { ctx })
    }
}

/// A JSON body whose rejections are Neutron 400s.
pub struct NJson(pub Value);

impl<S: Send + Sync> FromRequest<S> for NJson {
    type Rejection = NeutronError;

    async fn from_request(req: Request, state: &S) -> NResult<Self> {
        let bytes = crate::server::rest::body_bytes(req, state)
            .await
            .map_err(|e| match e {
                Error::TooLarge(_) => NeutronError(refuse(Fault::HTTPRequestEntityTooLarge, e)),
                e => bad_request(e.message()),
            })?;
        serde_json::from_slice(&bytes)
            .map(NJson)
            .map_err(|e| bad_request(msg!("Malformed request body: {e}", e)))
    }
}

fn bad_request(message: Message) -> NeutronError {
    NeutronError(refuse(Fault::HTTPBadRequest, Error::invalid(message)))
}

fn invalid_input(message: Message) -> NeutronError {
    NeutronError(refuse(
        Fault::InvalidInput,
        Error::invalid(msg!("Invalid input for operation: {message}.", message)),
    ))
}

/// The one object a body holds under `key`, with only the attributes the resource knows.
fn body_member<'a>(body: &'a Value, key: &str, known: &[&str]) -> NResult<&'a Map<String, Value>> {
    let obj = body
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request(msg!("Resource body required: '{key}'.", key)))?;
    let unknown: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(bad_request(msg!(
            "Unrecognized attribute(s) '{unknown}'",
            unknown = unknown.join(", ")
        )));
    }
    Ok(obj)
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> NResult<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().count() > 255 {
                return Err(invalid_input(msg!(
                    "'{key}' exceeds maximum length of 255",
                    key
                )));
            }
            Ok(Some(s.clone()))
        }
        Some(v) => Err(invalid_input(msg!(
            "'{v}' is not a valid string for {key}",
            v,
            key
        ))),
    }
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> NResult<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(invalid_input(msg!(
            "'{v}' cannot be converted to boolean",
            v
        ))),
    }
}

fn opt_int(obj: &Map<String, Value>, key: &str) -> NResult<Option<i64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid_input(msg!("'{n}' is not an integer for {key}", n, key))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| invalid_input(msg!("'{s}' is not an integer for {key}", s, key))),
        Some(v) => Err(invalid_input(msg!(
            "'{v}' is not an integer for {key}",
            v,
            key
        ))),
    }
}

fn str_list(obj: &Map<String, Value>, key: &str) -> NResult<Option<Vec<String>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    invalid_input(msg!("'{v}' is not a valid string in {key}", v, key))
                })
            })
            .collect::<NResult<Vec<_>>>()
            .map(Some),
        Some(v) => Err(invalid_input(msg!("'{v}' is not a list for {key}", v, key))),
    }
}

/// A list request's query: filters, `fields`, and paging.
struct ListParams {
    pairs: Vec<(String, String)>,
}

impl ListParams {
    fn get(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The `project_id` filter's values, with those of its old name `tenant_id`.
    fn project_ids(&self) -> Vec<String> {
        let mut ids = self.all("project_id");
        ids.extend(self.all("tenant_id"));
        ids
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn bool(&self, key: &str) -> NResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(invalid_input(msg!(
                    "'{v}' cannot be converted to boolean for {key}",
                    v,
                    key
                ))),
            },
        }
    }

    fn limit(&self) -> NResult<Option<i64>> {
        match self.get("limit") {
            None => Ok(None),
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                // 0 is no limit, as in Neutron.
                .map(|n| (n > 0).then_some(n))
                .ok_or_else(|| {
                    bad_request(msg!(
                        "Bad limit request: Limit must be an integer 0 or greater and not '{l}'.",
                        l
                    ))
                }),
        }
    }

    /// Keeps only the asked-for `fields` of each item.
    fn project(&self, items: Vec<Value>) -> Vec<Value> {
        let fields = self.all("fields");
        if fields.is_empty() {
            return items;
        }
        items
            .into_iter()
            .map(|v| match v {
                Value::Object(o) => Value::Object(
                    o.into_iter()
                        .filter(|(k, _)| fields.iter().any(|f| f == k))
                        .collect(),
                ),
                v => v,
            })
            .collect()
    }

    /// `{"<collection>": [...], "<collection>_links": [next]}` when a page is full.
    fn page(
        &self,
        state: &AppState,
        collection: &str,
        items: Vec<Value>,
        last_id: Option<String>,
        limit: Option<i64>,
    ) -> Value {
        let full = limit.is_some_and(|l| items.len() as i64 >= l);
        let items = self.project(items);
        let mut body = Value::Object(Map::from_iter([(
            collection.to_string(),
            Value::Array(items),
        )]));
        if let (true, Some(last)) = (full, last_id) {
            let mut params: Vec<(String, String)> = self
                .pairs
                .iter()
                .filter(|(k, _)| k != "marker")
                .cloned()
                .collect();
            params.push(("marker".into(), last));
            let href = format!(
                "{}/networking/v2.0/{collection}?{}",
                state.public_url(),
                crate::server::rest::query_string(&params)
            );
            body[format!("{collection}_links")] = json!([{"rel": "next", "href": href}]);
        }
        body
    }
}
