//! The web UI through the appliance's router (`oneshot`), as a browser uses it: a login with a
//! session cookie, every page over a real fleet with a rollout in its first wave, a rollout
//! paused and rolled back from its confirmation forms, the role of every UI route, the CSRF
//! check of every form, and text from clients escaped.

mod import_support;
mod ui_support;

use axum::http::StatusCode;
use ferry_mirror::fleet::rollout::State;
use ferry_mirror::store::now_unix;
use ui_support::*;

#[tokio::test]
async fn a_login_gives_a_strict_http_only_session_that_logout_ends() {
    let a = Appliance::new(false).await;
    let mut b = a.browser();
    let first = b.get("/ui/").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.location(), "/ui/login?next=%2Fui%2F");

    let wrong = b.login("operator", "wrong").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    wrong.assert_has(&["Wrong user or password."]);
    assert!(!b.cookies.iter().any(|(k, _)| k == "ferry_session"));

    let ok = b.login("operator", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/ui/clusters");
    let cookie = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("ferry_session="))
        .expect("a session cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let dash = b.get("/ui/").await;
    assert_eq!(dash.status, StatusCode::OK, "{}", dash.body);
    dash.assert_has(&["operator (operator)"]);

    // Logging out needs the session's token too; then the cookie is gone and so is the session.
    let stolen = b.cookies.clone();
    let refused = b.post("/ui/logout", &[("csrf", "nope")], &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let csrf = dash.csrf();
    let out = b.post("/ui/logout", &[("csrf", &csrf)], &[]).await;
    assert_eq!(
        (out.status, out.location()),
        (StatusCode::SEE_OTHER, "/ui/login")
    );
    assert_eq!(b.get("/ui/").await.status, StatusCode::SEE_OTHER);
    b.cookies = stolen;
    assert_eq!(
        b.get("/ui/").await.status,
        StatusCode::SEE_OTHER,
        "the old cookie still works"
    );
}

#[tokio::test]
async fn a_stale_login_form_and_a_login_from_another_site_are_refused() {
    let a = Appliance::new(false).await;
    let mut b = a.browser();
    let forged = b
        .post(
            "/ui/login",
            &[
                ("user", "admin"),
                ("password", PASSWORD),
                ("csrf", "made-up"),
            ],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let form = b.get("/ui/login").await;
    let csrf = form.csrf();
    let cross = b
        .post(
            "/ui/login",
            &[("user", "admin"), ("password", PASSWORD), ("csrf", &csrf)],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.iter().any(|(k, _)| k == "ferry_session"));
}

#[tokio::test]
async fn every_page_shows_the_fleet() {
    let a = Appliance::new(false).await;
    let mut b = a.logged_in("admin").await;
    let id = a.rollout;
    let dash = b.get("/ui/").await;
    assert_eq!(dash.status, StatusCode::OK);
    dash.assert_has(&[
        "Clusters by state",
        "3 clusters",
        "intact",
        "Active rollouts",
        &format!("Rollout {id}"),
    ]);
    let bundles = b.get("/ui/bundles").await;
    bundles.assert_has(&["No bundle has been imported yet."]);
    let clusters = b.get("/ui/clusters").await;
    for c in CLUSTERS {
        clusters.assert_has(&[&format!(r#"href="/ui/clusters/{c}""#)]);
    }
    clusters.assert_has(&[r#"role="img""#]);
    let ready = b.get("/ui/clusters?state=Offline").await;
    ready.assert_lacks(&[r#"href="/ui/clusters/edge-01""#]);
    let one = b.get("/ui/clusters/edge-02").await;
    assert_eq!(one.status, StatusCode::OK);
    one.assert_has(&["Cluster edge-02", "Desired revision", "Layers", "Drift"]);
    assert_eq!(
        b.get("/ui/clusters/nowhere").await.status,
        StatusCode::NOT_FOUND
    );
    let rollouts = b.get("/ui/rollouts").await;
    rollouts.assert_has(&["edge-infra@1.1.0"]);
    let r = b.get(&format!("/ui/rollouts/{id}")).await;
    r.assert_has(&[
        "Wave 1",
        "Wave 2",
        "Progressing",
        "Pause",
        "Roll back",
        "of 1 updated",
    ]);
    let audit = b.get("/ui/audit").await;
    audit.assert_has(&["The chain is intact", "fleet.rollout"]);
}

#[tokio::test]
async fn an_operator_pauses_then_rolls_back_through_the_confirmation_forms() {
    let a = Appliance::new(false).await;
    let mut b = a.logged_in("operator").await;
    let id = a.rollout;
    let confirm = b.get(&format!("/ui/rollouts/{id}/pause")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    confirm.assert_has(&["Yes, pause"]);
    let csrf = confirm.csrf();
    // Without the token, or from another site, nothing happens.
    let uri = format!("/ui/rollouts/{id}/pause");
    assert_eq!(b.post(&uri, &[], &[]).await.status, StatusCode::FORBIDDEN);
    let cross = b
        .post(
            &uri,
            &[("csrf", &csrf)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(a.rollout_state().await, State::Progressing);
    let done = b.post(&uri, &[("csrf", &csrf)], &[]).await;
    assert_eq!(
        (done.status, done.location()),
        (StatusCode::SEE_OTHER, &*format!("/ui/rollouts/{id}"))
    );
    assert_eq!(a.rollout_state().await, State::Paused);
    // Pausing twice is refused with the fleet's own reason.
    let again = b.post(&uri, &[("csrf", &csrf)], &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let confirm = b.get(&format!("/ui/rollouts/{id}/rollback")).await;
    let back = b
        .post(
            &format!("/ui/rollouts/{id}/rollback"),
            &[("csrf", &confirm.csrf())],
            &[],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(a.rollout_state().await, State::RolledBack);
    // The fleet audited both as the operator.
    let log = ferry_mirror::audit::list(a.site.store.db(), None)
        .await
        .unwrap();
    let by_operator: Vec<_> = log
        .iter()
        .filter(|e| e.actor == "operator")
        .map(|e| (e.action.as_str(), e.detail.to_string()))
        .collect();
    assert!(
        by_operator
            .iter()
            .any(|(a, d)| *a == "fleet.rollout" && d.contains("Paused")),
        "{by_operator:?}"
    );
    assert!(
        by_operator.iter().any(|(a, _)| *a == "fleet.rollback"),
        "{by_operator:?}"
    );
}

/// Every UI route × every role: who gets the page, who is sent to log in (303) and who is
/// refused (403). Anonymous reads follow anonymous pull, as the API's do.
#[tokio::test]
async fn every_ui_route_needs_its_role() {
    for anonymous_pull in [false, true] {
        let a = Appliance::new(anonymous_pull).await;
        let id = a.rollout;
        let reads = [
            "/ui/".to_owned(),
            "/ui/bundles".into(),
            "/ui/clusters".into(),
            "/ui/clusters/edge-01".into(),
            "/ui/rollouts".into(),
            format!("/ui/rollouts/{id}"),
            "/ui/search?q=docker.io/library/busybox".into(),
        ];
        let operate = [
            format!("/ui/rollouts/{id}/pause"),
            format!("/ui/rollouts/{id}/abort"),
        ];
        let admin = ["/ui/audit".to_owned()];
        for user in [
            None,
            Some("puller"),
            Some("pusher"),
            Some("operator"),
            Some("admin"),
        ] {
            let mut b = match user {
                Some(u) => a.logged_in(u).await,
                None => a.browser(),
            };
            let may = |level: u8| match user {
                None => level == 0 && anonymous_pull,
                Some("operator") => level <= 1,
                Some("admin") => true,
                Some(_) => level == 0,
            };
            for (level, uris) in [(0u8, &reads[..]), (1, &operate[..]), (2, &admin[..])] {
                for uri in uris {
                    let got = b.get(uri).await.status;
                    let want = if may(level) {
                        StatusCode::OK
                    } else if user.is_none() {
                        StatusCode::SEE_OTHER
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    assert_eq!(
                        got, want,
                        "{user:?} GET {uri} (anonymous pull {anonymous_pull})"
                    );
                }
            }
            // A POST of an action without the role is refused before its form is read.
            let post = b.post(&operate[0], &[("csrf", "x")], &[]).await.status;
            let want = match user {
                Some("operator") | Some("admin") => StatusCode::FORBIDDEN, // a wrong token
                None => StatusCode::UNAUTHORIZED,
                Some(_) => StatusCode::FORBIDDEN,
            };
            assert_eq!(post, want, "{user:?} POST {}", operate[0]);
        }
        // The login page and the stylesheet are open to all.
        let mut b = a.browser();
        assert_eq!(b.get("/ui/login").await.status, StatusCode::OK);
        let css = b.get("/ui/assets/ui.css").await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css"));
    }
}

#[tokio::test]
async fn text_from_clients_is_escaped() {
    let a = Appliance::new(false).await;
    let hostile = r#"<script>alert("x")</script>"#;
    let mut b = a.browser();
    let refused = b.login(hostile, "nope").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // The login form's `next` comes back escaped too.
    let form = b.get("/ui/login?next=/ui/%22%3E%3Cscript%3E").await;
    form.assert_lacks(&["\"><script>"]);
    let mut admin = a.logged_in("admin").await;
    // The failed login is in the log, with the name as it was sent, escaped on the page.
    let audit = admin.get("/ui/audit?action=login").await;
    audit.assert_has(&["&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"]);
    audit.assert_lacks(&[hostile]);
    let filtered = admin.get("/ui/audit?actor=%3Cb%3E").await;
    filtered.assert_has(&[r#"value="&lt;b&gt;""#]);
}

#[tokio::test]
async fn search_finds_the_bundles_and_the_clusters_of_an_image() {
    let mut a = Appliance::new(false).await;
    let dir = tempfile::tempdir().unwrap();
    let fx = import_support::bundle_a(dir.path());
    ferry_mirror::import::import_bundle(&a.site.store, &fx.path, &import_support::trusting())
        .await
        .unwrap();
    let bundle = ferry_bundler::format::Digest::of_bytes(&fx.manifest_bytes).to_string();
    // edge-01 runs a busybox by hand beside what it was given.
    let busybox = format!("sha256:{}", "b".repeat(64));
    let pod = ferry_bundler::format::report::PodReport {
        namespace: "default".into(),
        name: "debug".into(),
        owner: None,
        node: Some("node-1".into()),
        phase: "Running".into(),
        ready: true,
        containers: vec![ferry_bundler::format::report::ContainerReport {
            name: "sh".into(),
            image: "docker.io/library/busybox:1.36".into(),
            image_id: Some(format!("docker.io/library/busybox@{busybox}")),
            ready: true,
            restarts: 0,
            init: false,
        }],
    };
    let applied = a.site.digest("edge-01").await;
    a.site
        .report_pods("edge-01", &applied, true, vec![pod], now_unix())
        .await;

    let mut b = a.logged_in("puller").await;
    let app = b.get("/ui/search?q=docker.io/library/app:1.0").await;
    assert_eq!(app.status, StatusCode::OK);
    app.assert_has(&[&bundle]);
    app.assert_has(&["No cluster wants or runs it."]);
    let by_repository = b.get("/ui/search?q=docker.io/library/app").await;
    by_repository.assert_has(&[&bundle]);

    let uri = format!("/ui/search?q=docker.io/library/busybox@{busybox}");
    let running = b.get(&uri).await;
    running.assert_has(&[
        r#"href="/ui/clusters/edge-01""#,
        "in default/debug/sh",
        "No imported bundle carries",
    ]);
    running.assert_lacks(&["edge-02"]);

    let nothing = b.get("/ui/search?q=%3Cb%3Enothing").await;
    nothing.assert_has(&["&lt;b&gt;nothing", "No profile version names it."]);
    nothing.assert_lacks(&["<b>nothing"]);
}
