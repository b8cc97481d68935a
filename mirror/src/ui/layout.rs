//! The page shell every UI page shares: skip link, header navigation, the viewer and logout,
//! and the one stylesheet, served from the binary.

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::auth::Viewer;
use crate::server::access::Action;

/// The stylesheet and the icon, compiled in: nothing is fetched from anywhere but the appliance.
pub const CSS: &str = include_str!("assets/ui.css");
pub const ICON: &str = include_str!("assets/favicon.svg");

/// The sections of the navigation: (path, label, what the viewer must be allowed to see it).
const NAV: &[(&str, &str, Action)] = &[
    ("/ui/", "Dashboard", Action::Pull),
    ("/ui/bundles", "Bundles", Action::Pull),
    ("/ui/clusters", "Clusters", Action::Pull),
    ("/ui/rollouts", "Rollouts", Action::Pull),
    ("/ui/search", "Search", Action::Pull),
    ("/ui/audit", "Audit", Action::Admin),
];

/// A page: its title, the viewer (none on the login page) and the current section.
pub struct Shell<'a> {
    title: &'a str,
    viewer: Option<&'a Viewer>,
    section: &'a str,
}

impl<'a> Shell<'a> {
    pub fn new(title: &'a str, viewer: Option<&'a Viewer>) -> Self {
        Self {
            title,
            viewer,
            section: "",
        }
    }

    /// Marks `section` (a path of [`NAV`]) as the current page in the navigation.
    pub fn section(mut self, section: &'a str) -> Self {
        self.section = section;
        self
    }

    pub fn render(self, body: Markup) -> Html<String> {
        Html(
            html! {
                (DOCTYPE)
                html lang="en" {
                    head {
                        meta charset="utf-8";
                        meta name="viewport" content="width=device-width, initial-scale=1";
                        title { (self.title) " · ferry" }
                        link rel="stylesheet" href="/ui/assets/ui.css";
                        link rel="icon" type="image/svg+xml" href="/ui/assets/favicon.svg";
                    }
                    body {
                        a.skip href="#main" { "Skip to content" }
                        header {
                            a href="/ui/" { strong { "ferry" } }
                            @if let Some(v) = self.viewer {
                                nav aria-label="Sections" {
                                    ul {
                                        @for (path, label, _) in NAV.iter().filter(|(_, _, need)| *need == Action::Pull || v.may(*need)) {
                                            li {
                                                @if *path == self.section {
                                                    a href=(path) aria-current="page" { (label) }
                                                } @else {
                                                    a href=(path) { (label) }
                                                }
                                            }
                                        }
                                    }
                                }
                                div.who {
                                    @match &v.user {
                                        Some(u) => {
                                            span { (u) " (" (v.role.map_or("", |r| r.as_str())) ")" }
                                            form.inline method="post" action="/ui/logout" {
                                                (csrf_field(v))
                                                button type="submit" { "Log out" }
                                            }
                                        }
                                        None => { a href="/ui/login" { "Log in" } }
                                    }
                                }
                            }
                        }
                        main #main { (body) }
                    }
                }
            }
            .into_string(),
        )
    }
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf_field(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf.as_deref().unwrap_or("")); }
}

/// A page with only a heading and a message, for refusals before any viewer is known.
pub fn plain_page(title: &str, message: &str) -> Markup {
    PreEscaped(
        Shell::new(title, None)
            .render(html! { h1 { (title) } p.error role="alert" { (message) } })
            .0,
    )
}

/// `GET /ui/assets/ui.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// `GET /ui/assets/favicon.svg`.
pub async fn icon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        ICON,
    )
        .into_response()
}

/// `s` percent-encoded for a query value or a path segment.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn time(unix: i64) -> String {
    ferry_bundler::format::timestamp::rfc3339_utc(unix)
        .replace('T', " ")
        .replace('Z', " UTC")
}

pub use ferry_bundler::format::units::human_bytes as size;
