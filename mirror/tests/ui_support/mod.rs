//! The appliance's router over a real fleet (the rollout tests' site: three clusters on 1.0.0,
//! then a rollout of 1.1.0 in two waves started), with one user per role, and a browser's side
//! of the UI: cookies kept per client, the CSRF token read from the page's forms.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use ferry_mirror::fleet::rollout::WaveSize;
use ferry_mirror::server::{router, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::now_unix;
use http_body_util::BodyExt;
use tower::ServiceExt;

#[path = "../fleet_rollout_support/mod.rs"]
mod fleet_rollout_support;
pub use fleet_rollout_support::*;

pub const PASSWORD: &str = "ui-Pa55word";

pub struct Appliance {
    pub router: Router,
    /// What `router` was made from, for serving it on a socket.
    pub cfg: ServerConfig,
    pub site: Site,
    /// The rollout of 1.1.0, in its first wave.
    pub rollout: i64,
    _dir: tempfile::TempDir,
}

impl Appliance {
    pub async fn new(anonymous_pull: bool) -> Self {
        let mut site = site(None).await;
        let t0 = now_unix() - 60;
        on_one_zero(&mut site, t0).await;
        let r = ferry_mirror::fleet::rollout::start(
            &site.fleet,
            spec(
                "edge-infra@1.1.0",
                vec![WaveSize::Count(1), WaveSize::Percent(100)],
                0,
            ),
            OPERATOR,
            t0 + 10,
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let users: String = ["puller", "operator", "admin", "pusher"]
            .iter()
            .map(|u| format!("{u}:{hash}\n"))
            .collect();
        std::fs::write(&htpasswd, users).unwrap();
        let cfg = ServerConfig {
            access: AccessConfig {
                htpasswd: Some(htpasswd),
                roles: [
                    ("operator".to_owned(), Role::Operator),
                    ("admin".to_owned(), Role::Admin),
                    ("pusher".to_owned(), Role::Pusher),
                ]
                .into(),
                anonymous_pull,
                ..AccessConfig::default()
            },
            fleet: Some(site.fleet.clone()),
            ..ServerConfig::default()
        };
        Self {
            router: router(site.store.clone(), &cfg),
            cfg,
            site,
            rollout: r.row.id,
            _dir: dir,
        }
    }

    /// The state of [`Appliance::rollout`] now.
    pub async fn rollout_state(&self) -> ferry_mirror::fleet::rollout::State {
        ferry_mirror::fleet::rollout::status(&self.site.fleet, self.rollout, now_unix())
            .await
            .unwrap()
            .row
            .state
    }

    /// A browser with no cookies yet.
    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookies: Vec::new(),
        }
    }

    /// A browser logged in as `user`.
    pub async fn logged_in(&self, user: &str) -> Browser {
        let mut b = self.browser();
        let resp = b.login(user, PASSWORD).await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{user}: {}", resp.body);
        b
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Requires every one of `texts` on the page.
    pub fn assert_has(&self, texts: &[&str]) {
        for t in texts {
            assert!(
                self.body.contains(t),
                "{t:?} is not on the page:\n{}",
                self.body
            );
        }
    }

    /// Requires none of `texts` on the page.
    pub fn assert_lacks(&self, texts: &[&str]) {
        for t in texts {
            assert!(
                !self.body.contains(t),
                "{t:?} is on the page:\n{}",
                self.body
            );
        }
    }

    /// The value of the first hidden `csrf` field on the page.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

/// A client that keeps the cookies it is given, as a browser does (by name; Max-Age=0 removes).
pub struct Browser {
    router: Router,
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    pub async fn get(&mut self, uri: &str) -> Page {
        self.send(Method::GET, uri, None, &[]).await
    }

    /// A form POST of `fields`, with `extra` headers.
    pub async fn post(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(Method::POST, uri, Some(body), extra).await
    }

    pub async fn login(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/ui/login?next=/ui/clusters").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            "/ui/login",
            &[
                ("user", user),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/ui/clusters"),
            ],
            &[],
        )
        .await
    }

    async fn send(
        &mut self,
        method: Method,
        uri: &str,
        body: Option<String>,
        extra: &[(&str, &str)],
    ) -> Page {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "mirror.enclave:5000");
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let page = Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for c in page.set_cookies() {
            let pair = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != k);
                if !c.contains("Max-Age=0") {
                    self.cookies.push((k.to_owned(), v.to_owned()));
                }
            }
        }
        page
    }
}
