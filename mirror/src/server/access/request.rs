//! What a request is (its [`Principal`] and client address), what it needs, and why it was
//! refused, with the response extensions the audit hook reads.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{request::Parts, Extensions, HeaderValue};

use super::token::Claims;
use super::{Action, LoginFailure, Role};

/// Who a request is, once its credentials have been checked.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    User {
        name: String,
        role: Role,
    },
    /// A cluster's agent: `user` is `cluster/<cluster>`.
    Agent {
        user: String,
        cluster: String,
    },
    /// A bearer token: its user ("" if anonymous) and what it grants.
    Token(Claims),
}

impl Principal {
    /// The name the audit log records.
    pub fn actor(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::User { name, .. } => Some(name),
            Principal::Agent { user, .. } => Some(user),
            Principal::Token(c) => (!c.sub.is_empty()).then_some(c.sub.as_str()),
        }
    }
}

/// What a request needs.
#[derive(Debug, Clone, Copy)]
pub enum Need<'a> {
    /// `/v2/`: any identity this mirror accepts.
    Login,
    /// An action on a repository, known by the name in the path and the name it maps to.
    Repository { names: [&'a str; 2], action: Action },
    /// A cross-repository mount: push on the target (named as in `Repository`), pull on `from`.
    Mount { names: [&'a str; 2], from: &'a str },
    /// `_catalog`.
    Catalog,
    /// A route outside `/v2` (charts, files, API, metrics).
    Service(Action),
}

impl Need<'_> {
    pub(super) fn action(&self) -> Action {
        match self {
            Need::Login | Need::Catalog => Action::Pull,
            Need::Mount { .. } => Action::Push,
            Need::Repository { action, .. } | Need::Service(action) => *action,
        }
    }

    /// The scope a client should ask the token endpoint for.
    pub(super) fn scope(&self) -> Option<String> {
        match self {
            Need::Repository { names, action } => {
                let actions = match action {
                    Action::Push => "pull,push",
                    other => other.as_str(),
                };
                Some(format!("repository:{}:{actions}", names[0]))
            }
            // Both, as distribution asks: a token client then gets one token for the mount.
            Need::Mount { names, from } => Some(format!(
                "repository:{}:pull,push repository:{from}:pull",
                names[0]
            )),
            Need::Catalog => Some("registry:catalog:*".to_owned()),
            Need::Login | Need::Service(_) => None,
        }
    }
}

/// Response extension: presented credentials were refused (the audit hook records it).
#[derive(Debug, Clone)]
pub struct LoginFailed {
    pub user: Option<String>,
    pub reason: LoginFailure,
}

/// Response extension: the user a request was allowed as (`None`: anonymous).
#[derive(Debug, Clone)]
pub struct Actor(pub Option<String>);

/// Why a request was refused.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// 401: credentials are missing, wrong, or a token lacks the scope. `failure` says why
    /// presented credentials failed (for the audit log); `scope` goes into the challenge.
    Challenge {
        failure: Option<(Option<String>, LoginFailure)>,
        scope: Option<String>,
        insufficient_scope: bool,
    },
    /// 403: the user is known and the role (or `agent`) forbids it.
    Denied { user: String, role: &'static str },
    /// 429: the client or the user failed to log in too often; try again in `retry_after`
    /// seconds. `user` is the name that was tried (for the audit log).
    Limited {
        user: Option<String>,
        retry_after: u64,
    },
}

impl Refusal {
    /// The response extension for the audit hook, if credentials were refused.
    pub fn login_failed(&self) -> Option<LoginFailed> {
        match self {
            Refusal::Challenge {
                failure: Some((user, reason)),
                ..
            } => Some(LoginFailed {
                user: user.clone(),
                reason: *reason,
            }),
            Refusal::Limited { user, retry_after } => Some(LoginFailed {
                user: user.clone(),
                reason: LoginFailure::Limited {
                    retry_after: *retry_after,
                },
            }),
            _ => None,
        }
    }
}

/// `Retry-After` for a 429.
pub fn retry_after(seconds: u64) -> HeaderValue {
    HeaderValue::from(seconds.max(1))
}

/// The 429 a rate-limited login gets on `/v2` and `/token`: the registry's error body, as
/// distribution's clients read it, and when to try again.
pub fn too_many_failed_logins(retry_after_seconds: u64) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = crate::server::error::RegistryError::new(
        crate::server::error::ErrorCode::TooManyRequests,
        "too many failed logins; try again later",
    )
    .into_response();
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        retry_after(retry_after_seconds),
    );
    resp
}

/// The client's address, from the `ConnectInfo` the server's accept loop attaches to every
/// request (`None` when served without it: limits then apply per user name only).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl ClientAddr {
    pub fn of(extensions: &Extensions) -> Self {
        Self(extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.extensions))
    }
}
