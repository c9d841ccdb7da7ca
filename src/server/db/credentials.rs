//! Application credentials, token signing keys and token revocations.

use super::select::Select;
use super::table::table;
use super::{DbError, C};

table! {
    pub struct AppCredRow in "application_credentials" {
        pub id: String,
        pub user_id: String,
        pub project_id: String,
        pub name: String,
        pub description: Option<String>,
        pub secret_hash: String,
        pub expires_at: Option<i64>,
        /// The microseconds past `expires_at`'s second.
        pub expires_at_us: i64,
        pub unrestricted: i64,
        pub role_ids: String,
        pub created_at: i64,
    }
}

table! {
    pub struct CredentialRow in "credentials" {
        pub id: String,
        pub user_id: String,
        pub project_id: Option<String>,
        pub cred_type: String,
        pub blob: String,
        pub created_at: i64,
    }
}

/// Credentials, of one user and of one type when given, oldest first.
pub async fn credential_list(
    c: &mut C,
    user_id: Option<&str>,
    cred_type: Option<&str>,
) -> Result<Vec<CredentialRow>, DbError> {
    Select::table()
        .eq("user_id", user_id)
        .eq("cred_type", cred_type)
        .order_by("created_at, id")
        .fetch_all(c)
        .await
}

pub async fn app_cred_get_by_name(
    c: &mut C,
    user_id: &str,
    name: &str,
) -> Result<Option<AppCredRow>, DbError> {
    Select::table()
        .eq("user_id", Some(user_id))
        .eq("name", Some(name))
        .fetch_optional(c)
        .await
}

pub async fn app_cred_list(
    c: &mut C,
    user_id: &str,
    name: Option<&str>,
) -> Result<Vec<AppCredRow>, DbError> {
    Select::table()
        .eq("user_id", Some(user_id))
        .eq("name", name)
        .order_by("name")
        .fetch_all(c)
        .await
}

pub async fn token_key_insert(
    c: &mut C,
    id: &str,
    secret: &str,
    created_at: i64,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO token_keys (id, secret, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(secret)
        .bind(created_at)
        .execute(c)
        .await?;
    Ok(())
}

/// Every signing key, newest first.
pub async fn token_key_list(c: &mut C) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as("SELECT id, secret FROM token_keys ORDER BY created_at DESC")
        .fetch_all(c)
        .await
}

pub async fn revocation_add(c: &mut C, audit_id: &str, expires_at: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO revoked_tokens (audit_id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(audit_id)
    .bind(expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The expiry of a revoked token's record, if it was revoked.
pub async fn revocation_get(c: &mut C, audit_id: &str) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT expires_at FROM revoked_tokens WHERE audit_id = $1")
            .bind(audit_id)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|(e,)| e))
}

pub async fn revocation_list(c: &mut C, now: i64) -> Result<Vec<(String, i64)>, DbError> {
    sqlx::query_as("SELECT audit_id, expires_at FROM revoked_tokens WHERE expires_at > $1")
        .bind(now)
        .fetch_all(c)
        .await
}

pub async fn revocation_purge(c: &mut C, now: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

table! {
    /// An OAuth 1.0a consumer; its secret is kept as a SHA-256 hash.
    pub struct ConsumerRow in "oauth_consumers" {
        pub id: String,
        pub description: Option<String>,
        pub secret_hash: String,
    }
}

pub async fn consumer_list(c: &mut C) -> Result<Vec<ConsumerRow>, DbError> {
    super::select::Select::table()
        .order_by("id")
        .fetch_all(c)
        .await
}

table! {
    /// An access rule: an API call (`service` type, `path` with `*` and `**` wildcards,
    /// HTTP `method`) an application credential's tokens may make.
    pub struct AccessRuleRow in "access_rules" {
        pub id: String,
        pub user_id: String,
        pub service: String,
        pub path: String,
        pub method: String,
    }
}

pub async fn access_rules_of_user(c: &mut C, user_id: &str) -> Result<Vec<AccessRuleRow>, DbError> {
    Select::table()
        .eq("user_id", Some(user_id))
        .order_by("service, path, method")
        .fetch_all(c)
        .await
}

pub async fn access_rules_of_app_cred(
    c: &mut C,
    app_cred_id: &str,
) -> Result<Vec<AccessRuleRow>, DbError> {
    Select::new(
        "r.id, r.user_id, r.service, r.path, r.method",
        "access_rules r JOIN app_cred_access_rules l ON l.access_rule_id = r.id",
    )
    .eq("l.app_cred_id", Some(app_cred_id))
    .order_by("r.service, r.path, r.method")
    .fetch_all(c)
    .await
}

/// The user's rule for exactly this call, if there is one.
pub async fn access_rule_find(
    c: &mut C,
    user_id: &str,
    service: &str,
    path: &str,
    method: &str,
) -> Result<Option<AccessRuleRow>, DbError> {
    Select::table()
        .eq("user_id", Some(user_id))
        .eq("service", Some(service))
        .eq("path", Some(path))
        .eq("method", Some(method))
        .fetch_optional(c)
        .await
}

pub async fn access_rule_link(
    c: &mut C,
    app_cred_id: &str,
    access_rule_id: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO app_cred_access_rules (app_cred_id, access_rule_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(app_cred_id)
    .bind(access_rule_id)
    .execute(c)
    .await?;
    Ok(())
}

/// Whether any application credential still names the rule.
pub async fn access_rule_in_use(c: &mut C, access_rule_id: &str) -> Result<bool, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM app_cred_access_rules WHERE access_rule_id = $1")
            .bind(access_rule_id)
            .fetch_one(c)
            .await?;
    Ok(n > 0)
}
