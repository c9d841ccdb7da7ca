//! Login, logout, the current session, switching projects, and user settings.

use leptos::prelude::*;

use crate::types::{AppError, SessionInfo};

/// Logs in and scopes the session to the user's default project (or its first project).
#[server]
pub async fn login(domain: String, username: String, password: String) -> Result<(), AppError> {
    use crate::server::portal::{session, TOKEN_KEY};
    use crate::server::services::identity::{AuthMethod, AuthRequest, Ref, ScopeRequest};
    use secrecy::SecretString;

    let (state, session) = session().await?;
    let domain = domain.trim();
    let user = Ref {
        name: Some(username.trim().to_string()),
        domain: Some(Box::new(Ref {
            name: Some(if domain.is_empty() {
                "Default".to_string()
            } else {
                domain.to_string()
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    let req = AuthRequest {
        method: AuthMethod::Password {
            user,
            password: SecretString::from(password),
        },
        scope: ScopeRequest::Default,
        source: use_context::<axum::http::request::Parts>()
            .and_then(|parts| crate::server::serve::peer_ip(&parts.extensions)),
    };
    let (mut token, auth) =
        state
            .identity
            .authenticate(req)
            .await
            .map_err(|e| match e.plain() {
                crate::server::error::Error::AccountLocked { .. } => AppError::AccountLocked,
                crate::server::error::Error::Internal(_) => crate::server::portal::app_error(e),
                _ => AppError::InvalidCredentials,
            })?;
    if auth.project_id().is_none() {
        // No usable default project: take the first project the user may use, as Horizon does.
        if let Some(first) = state
            .identity
            .user_project_ids(&auth.user_id)
            .await?
            .into_iter()
            .next()
        {
            let rescoped = state
                .identity
                .authenticate(AuthRequest {
                    method: AuthMethod::Token {
                        token: token.clone(),
                    },
                    scope: ScopeRequest::Project(Ref {
                        id: Some(first),
                        ..Default::default()
                    }),
                    source: None,
                })
                .await;
            if let Ok((t, _)) = rescoped {
                token = t;
            }
        }
    }
    // A new session id at login defeats session fixation.
    session
        .cycle_id()
        .await
        .map_err(|e| crate::server::portal::internal("the session store", e))?;
    session
        .insert(TOKEN_KEY, token)
        .await
        .map_err(|e| crate::server::portal::internal("the session store", e))?;
    leptos_axum::redirect("/project/api_access");
    Ok(())
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::portal::{ctx_from_session, session};
    let (state, session) = session().await?;
    if let Ok(ctx) = ctx_from_session(&state, &session).await {
        let token = ctx.token.to_string();
        if let Err(e) = state.identity.revoke(&ctx, &token).await {
            e.log();
        }
    }
    session
        .flush()
        .await
        .map_err(|e| crate::server::portal::internal("the session store", e))?;
    leptos_axum::redirect("/auth/login");
    Ok(())
}

/// The signed-in user, or `None` when nobody is.
#[server]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::server::context::Scope;
    let (state, ctx) = match crate::server::portal::request_ctx().await {
        Ok(v) => v,
        Err(AppError::NotSignedIn) => return Ok(None),
        Err(e) => return Err(e),
    };
    let projects = state
        .identity
        .user_projects(&ctx, &ctx.auth.user_id)
        .await?
        .into_iter()
        .filter(|p| p.enabled != 0)
        .map(|p| (p.id, p.name))
        .collect();
    let (project_id, project_name) = match &ctx.auth.scope {
        Scope::Project { id, name, .. } => (Some(id.clone()), Some(name.clone())),
        _ => (None, None),
    };
    Ok(Some(SessionInfo {
        user_id: ctx.auth.user_id.clone(),
        user_name: ctx.auth.user_name.clone(),
        domain_name: ctx.auth.user_domain_name.clone(),
        project_id,
        project_name,
        projects,
        roles: ctx.auth.roles.iter().map(|r| r.name.clone()).collect(),
        is_admin: crate::server::authz::is_admin(&ctx),
    }))
}

/// Rescopes the session to another project (the project switcher, "Set as Active Project").
#[server]
pub async fn switch_project(project_id: String) -> Result<(), AppError> {
    use crate::server::portal::{request_ctx, session, TOKEN_KEY};
    use crate::server::services::identity::{AuthMethod, AuthRequest, Ref, ScopeRequest};
    let (state, ctx) = request_ctx().await?;
    let (_, session) = session().await?;
    let (token, _) = state
        .identity
        .authenticate(AuthRequest {
            method: AuthMethod::Token {
                token: ctx.token.to_string(),
            },
            scope: ScopeRequest::Project(Ref {
                id: Some(project_id),
                ..Default::default()
            }),
            source: None,
        })
        .await
        .map_err(|_| AppError::Forbidden(msg!("You have no role on that project.")))?;
    session
        .insert(TOKEN_KEY, token)
        .await
        .map_err(|e| crate::server::portal::internal("the session store", e))?;
    Ok(())
}

/// Changes the signed-in user's own password; the session ends, as in Horizon.
#[server]
pub async fn change_password(
    original: String,
    new_password: String,
    confirm: String,
) -> Result<(), AppError> {
    use secrecy::SecretString;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if new_password != confirm {
        return Err(AppError::PasswordMismatch);
    }
    let user_id = ctx.auth.user_id.clone();
    state
        .identity
        .user_change_password(
            &ctx,
            &user_id,
            SecretString::from(original),
            SecretString::from(new_password),
        )
        .await
        .map_err(|e| match e {
            crate::server::error::Error::Unauthenticated(m) => AppError::Invalid(m),
            other => other.into(),
        })?;
    let (_, session) = crate::server::portal::session().await?;
    session
        .flush()
        .await
        .map_err(|e| crate::server::portal::internal("the session store", e))?;
    Ok(())
}

/// Stores the language and theme in cookies (read when pages render, so the first paint
/// is already right).
#[server]
pub async fn set_preferences(lang: String, theme: String) -> Result<(), AppError> {
    use axum::http::{header, HeaderValue};
    let lang = crate::i18n::Lang::from_code(&lang).code();
    let theme = match theme.as_str() {
        "light" | "dark" => theme.as_str(),
        _ => "system",
    };
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for (k, v) in [("gureum_lang", lang), ("gureum_theme", theme)] {
        let cookie = format!("{k}={v}; Path=/; Max-Age=31536000; SameSite=Lax");
        if let Ok(h) = HeaderValue::from_str(&cookie) {
            response.append_header(header::SET_COOKIE, h);
        }
    }
    Ok(())
}
