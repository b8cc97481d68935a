//! Who a UI request is, and the checks every UI route passes: a route layer per role (so that no
//! page can forget its check), the CSRF check of every state-changing form, and the login and
//! logout forms.

use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest as _, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::layout::{urlencode, Shell};
use super::pages::PageError;
use super::session::{self, Session};
use super::UiState;
use crate::server::access::{
    Action, ClientAddr, LoginFailed, LoginFailure, Need, Principal, Refusal, Role,
};

/// The pre-login cookie whose value the login form repeats (login CSRF).
const LOGIN_COOKIE: &str = "ferry_login";
/// Most bytes a UI form may send.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The caller of a UI request, as the route layer found it.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// `None`: anonymous (only where anonymous pull is on).
    pub user: Option<String>,
    pub role: Option<Role>,
    /// The session's CSRF token, for the forms a page renders.
    pub csrf: Option<String>,
}

impl Viewer {
    /// Whether the viewer may do `action` (a page shows its buttons only then).
    pub fn may(&self, action: Action) -> bool {
        self.role.is_some_and(|r| r.allows(action))
    }

    /// The name the audit log records.
    pub fn actor(&self) -> &str {
        self.user
            .as_deref()
            .unwrap_or(crate::audit::events::ANONYMOUS)
    }
}

fn session_of(state: &UiState, headers: &HeaderMap) -> Option<(String, Session)> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let id = session::cookie_value(cookies, session::COOKIE)?;
    let s = state.sessions.get(id, Instant::now())?;
    Some((id.to_owned(), s))
}

pub(super) async fn require_pull(
    State(state): State<UiState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Pull).await
}

pub(super) async fn require_operate(
    State(state): State<UiState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Operate).await
}

pub(super) async fn require_admin(
    State(state): State<UiState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Admin).await
}

async fn guard(state: UiState, req: Request, next: Next, action: Action) -> Response {
    let session = session_of(&state, req.headers());
    let role = session.as_ref().map(|(_, s)| state.access.role_of(&s.user));
    let principal = match (&session, role) {
        (Some((_, s)), Some(role)) => Principal::User {
            name: s.user.clone(),
            role,
        },
        _ => Principal::Anonymous,
    };
    match state.access.authorize(&principal, Need::Service(action)) {
        Ok(()) => {}
        Err(Refusal::Denied { user, role }) => {
            return PageError::page(
                StatusCode::FORBIDDEN,
                &format!("{user} has the role {role}, which may not do this"),
            );
        }
        Err(_) if req.method() == Method::GET => {
            let next = req
                .uri()
                .path_and_query()
                .map_or("/ui/", |p| p.as_str())
                .to_owned();
            return Redirect::to(&format!("/ui/login?next={}", urlencode(&next))).into_response();
        }
        Err(_) => {
            return PageError::page(StatusCode::UNAUTHORIZED, "log in first");
        }
    }
    let viewer = Viewer {
        role,
        user: session.as_ref().map(|(_, s)| s.user.clone()),
        csrf: session.map(|(_, s)| s.csrf),
    };
    let req = if req.method() == Method::POST {
        match checked_form(&viewer, req).await {
            Ok(req) => req,
            Err(resp) => return resp,
        }
    } else {
        req
    };
    let mut req = req;
    req.extensions_mut().insert(viewer);
    next.run(req).await
}

/// A POST passes only from this origin and with the session's CSRF token in its form. The body
/// is read here (it is small) and handed on unchanged.
async fn checked_form(viewer: &Viewer, req: Request) -> Result<Request, Response> {
    let refuse = |why: &str| PageError::page(StatusCode::FORBIDDEN, why);
    if cross_site(req.headers(), req.uri()) {
        return Err(refuse("a form from another site was refused"));
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| refuse("the form is too large"))?;
    let token = form_field(&bytes, "csrf");
    let expected = viewer.csrf.as_deref();
    match (token, expected) {
        (Some(t), Some(e)) if session::same_token(&t, e) => {}
        _ => {
            return Err(refuse(
                "the form's CSRF token is missing or stale; reload the page",
            ))
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// `Sec-Fetch-Site` or `Origin` says another site sent it (browsers send one or both). The
/// host is the `Host` header or, over HTTP/2, the request's authority.
fn cross_site(headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site") | Some("same-site")) {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) else {
        return false;
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    origin == "null" || origin_host != host
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Where a login goes on: a path of the UI only, never another site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/ui/") && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/ui/",
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct NextParam {
    next: Option<String>,
}

/// `GET /ui/login`: the form, with a fresh login-CSRF cookie.
pub(super) async fn login_form(
    State(state): State<UiState>,
    Query(q): Query<NextParam>,
) -> Response {
    login_page(&state, q.next.as_deref(), None, StatusCode::OK)
}

fn login_page(
    state: &UiState,
    next: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = session::random_token();
    let secure = if state.secure { "; Secure" } else { "" };
    let cookie =
        format!("{LOGIN_COOKIE}={token}; Path=/ui/login; HttpOnly; SameSite=Strict{secure}");
    let body = html! {
        h1 { "Log in" }
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        form method="post" action="/ui/login" {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="next" value=(safe_next(next));
            p {
                label for="user" { "User" }
                input #user name="user" type="text" autocomplete="username" required autofocus;
            }
            p {
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
            }
            p { button type="submit" { "Log in" } }
        }
    };
    let page = Shell::new("Log in", None).render(body);
    let mut resp = (status, page).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /ui/login`: checks the user against the htpasswd file (failures count against the
/// same limits as the API's), then starts a session.
pub(super) async fn login(State(state): State<UiState>, req: Request) -> Response {
    let client = ClientAddr::of(req.extensions());
    let headers = req.headers().clone();
    if cross_site(&headers, req.uri()) {
        return PageError::page(
            StatusCode::FORBIDDEN,
            "a form from another site was refused",
        );
    }
    let Ok(Form(form)) = Form::<LoginForm>::from_request(req, &state).await else {
        return PageError::page(StatusCode::BAD_REQUEST, "the login form is incomplete");
    };
    let expected = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| session::cookie_value(c, LOGIN_COOKIE));
    if !expected.is_some_and(|e| session::same_token(e, &form.csrf)) {
        return login_page(
            &state,
            form.next.as_deref(),
            Some("The login form was stale; try again."),
            StatusCode::FORBIDDEN,
        );
    }
    match state.access.login(&form.user, &form.password, client).await {
        Ok(_role) => {
            let (id, _) = state.sessions.create(&form.user, Instant::now());
            let mut resp = Redirect::to(safe_next(form.next.as_deref())).into_response();
            if let Ok(v) = HeaderValue::from_str(&session::set_cookie(&id, state.secure)) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(reason) => {
            let (status, message) = match reason {
                LoginFailure::Limited { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many failed logins; try again later.",
                ),
                _ => (StatusCode::UNAUTHORIZED, "Wrong user or password."),
            };
            let mut resp = login_page(&state, form.next.as_deref(), Some(message), status);
            resp.extensions_mut().insert(LoginFailed {
                user: Some(form.user),
                reason,
            });
            resp
        }
    }
}

/// `POST /ui/logout` (behind the pull guard, so its CSRF token is checked): ends the session.
pub(super) async fn logout(State(state): State<UiState>, headers: HeaderMap) -> Response {
    if let Some((id, _)) = session_of(&state, &headers) {
        state.sessions.remove(&id);
    }
    let mut resp = Redirect::to("/ui/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie(state.secure)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_goes_on_only_to_a_page_of_the_ui() {
        assert_eq!(
            safe_next(Some("/ui/clusters?state=Failed")),
            "/ui/clusters?state=Failed"
        );
        for bad in [
            "//evil.example/ui/",
            "https://evil.example/",
            "/v2/",
            "/ui\\..",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/ui/", "{bad}");
        }
        assert_eq!(safe_next(None), "/ui/");
    }

    fn cross_site_of(h: &HeaderMap) -> bool {
        cross_site(h, &axum::http::Uri::from_static("/ui/logout"))
    }

    #[test]
    fn forms_from_other_sites_are_told_apart() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert!(!cross_site_of(&h(&[("host", "mirror:5000")])));
        assert!(!cross_site_of(&h(&[
            ("host", "mirror:5000"),
            ("origin", "https://mirror:5000")
        ])));
        assert!(!cross_site_of(&h(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site_of(&h(&[
            ("host", "mirror:5000"),
            ("origin", "https://evil:5000")
        ])));
        assert!(cross_site_of(&h(&[
            ("host", "mirror:5000"),
            ("origin", "null")
        ])));
        assert!(cross_site_of(&h(&[("sec-fetch-site", "cross-site")])));
        // Over HTTP/2 the host is the request's authority.
        let origin = h(&[("origin", "https://evil:5000")]);
        let uri = axum::http::Uri::from_static("https://mirror:5000/ui/logout");
        assert!(cross_site(&origin, &uri));
        let same = h(&[("origin", "https://mirror:5000")]);
        assert!(!cross_site(&same, &uri));
    }

    #[test]
    fn the_csrf_field_is_read_from_the_form() {
        assert_eq!(form_field(b"a=1&csrf=xyz", "csrf").as_deref(), Some("xyz"));
        assert_eq!(form_field(b"a=1", "csrf"), None);
        assert_eq!(urlencode("/ui/a?b=c&d"), "%2Fui%2Fa%3Fb%3Dc%26d");
    }
}
