//! `/token`: the token endpoint of the Docker/OCI bearer flow. `GET` takes `Basic` credentials
//! (docker, podman, helm); `POST` takes an OAuth2 password grant form (containerd tries it
//! first). Both answer with a JWT granting the requested scopes that the user's role allows,
//! possibly none: a client learns what it may not do from the registry's next 401 or 403.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use super::token::Grant;
use super::{too_many_failed_logins, ClientAddr, LoginFailed, LoginFailure, Principal};

use crate::server::AppState;

/// Largest form a client may post: scopes and credentials, nothing more.
const MAX_FORM: usize = 16 * 1024;
/// Most scopes one token may carry.
const MAX_SCOPES: usize = 32;

pub(in crate::server) fn routes() -> Router<AppState> {
    Router::new().route("/token", get(token).post(token))
}

async fn token(State(state): State<AppState>, req: Request) -> Response {
    let client = ClientAddr::of(req.extensions());
    let (parts, body) = req.into_parts();
    let form = if parts.method == Method::POST {
        match axum::body::to_bytes(body, MAX_FORM).await {
            Ok(b) => Some(b),
            Err(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
        }
    } else {
        None
    };
    let request = match TokenRequest::parse(&parts.uri, &parts.headers, form.as_ref()) {
        Ok(r) => r,
        Err(why) => return oauth_error(StatusCode::BAD_REQUEST, why),
    };
    let access = &state.access;
    let principal = match &request.credentials {
        None => Principal::Anonymous,
        Some((user, password)) => match access.login_principal(user, password, client).await {
            Ok(principal) => principal,
            Err(reason) => {
                let mut resp = match reason {
                    // The registry's error body, as distribution's clients read it.
                    LoginFailure::Limited { retry_after: s } => too_many_failed_logins(s),
                    _ => {
                        let mut r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_grant");
                        r.headers_mut()
                            .insert(header::WWW_AUTHENTICATE, super::basic_challenge());
                        r
                    }
                };
                resp.extensions_mut().insert(LoginFailed {
                    user: Some(user.clone()),
                    reason,
                });
                return resp;
            }
        },
    };
    let granted = access.grant(&principal, request.scopes);
    let sub = principal.actor().unwrap_or("").to_owned();
    let (token, issued) = access.tokens.issue(&sub, granted);
    let issued_at = crate::store::catalog::rfc3339(issued as i64);
    let body = json!({
        "token": token,
        "access_token": token,
        "expires_in": access.tokens.ttl.as_secs(),
        "issued_at": issued_at,
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

struct TokenRequest {
    credentials: Option<(String, String)>,
    scopes: Vec<Grant>,
}

impl TokenRequest {
    fn parse(uri: &Uri, headers: &HeaderMap, form: Option<&Bytes>) -> Result<Self, &'static str> {
        let mut pairs: Vec<(String, String)> = uri
            .query()
            .map(|q| form_urlencoded(q.as_bytes()))
            .unwrap_or_default();
        let mut credentials = super::basic_credentials(headers);
        if let Some(form) = form {
            let fields = form_urlencoded(form);
            let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            match field("grant_type").as_deref() {
                Some("password") => {
                    let user = field("username").ok_or("invalid_request")?;
                    let password = field("password").ok_or("invalid_request")?;
                    credentials = Some((user, password));
                }
                // Refresh tokens are never issued, so the only other grant is none at all.
                Some(_) => return Err("unsupported_grant_type"),
                None => {}
            }
            pairs.extend(fields.into_iter().filter(|(k, _)| k == "scope"));
        }
        // Scopes come repeated, space-separated, or both (Docker's token spec allows either).
        let scopes: Vec<Grant> = pairs
            .iter()
            .filter(|(k, _)| k == "scope")
            .flat_map(|(_, v)| v.split(' '))
            .filter(|v| !v.is_empty())
            .filter_map(Grant::parse_scope)
            .collect();
        if scopes.len() > MAX_SCOPES {
            return Err("invalid_scope");
        }
        Ok(Self {
            credentials,
            scopes,
        })
    }
}

fn form_urlencoded(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": error }).to_string(),
    )
        .into_response()
}
