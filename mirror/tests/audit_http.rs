//! The registry's writes and failed logins in the audit log, through the HTTP API on a real
//! socket: who pushed and deleted what, and failed logins recorded without their passwords.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use ferry_bundler::format::Digest;
use ferry_mirror::audit::{list, verify, AuditEntry};
use ferry_mirror::server::{serve, AccessConfig, LoginLimit, Role, ServerConfig};
use ferry_mirror::store::Store;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USER: &str = "pusher";
const PASSWORD: &str = "s3cret-Pa55word";
const WRONG: &str = "guess-Pa55word-1";
const OTHER_WRONG: &str = "nobody-Pa55word-2";

struct Response {
    status: u16,
    headers: String,
}

/// The client address of most requests.
const LOCAL: [u8; 4] = [127, 0, 0, 1];

/// One HTTP/1.1 request on a fresh connection from the client address `from` (any 127.x address
/// reaches the loopback listener); the server closes it after answering.
async fn http(
    from: [u8; 4],
    addr: SocketAddr,
    method: &str,
    path: &str,
    creds: Option<(&str, &str)>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some((user, password)) = creds {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        req.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    stream.write_all(req.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, _) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    Response {
        status,
        headers: head.to_ascii_lowercase(),
    }
}

async fn start(dir: &std::path::Path) -> (Store, SocketAddr, tokio::sync::oneshot::Sender<()>) {
    start_with(dir, LoginLimit::default()).await
}

/// The registry on a real socket, served by the server's own accept loop, which gives every
/// request its client address.
async fn start_with(
    dir: &std::path::Path,
    login_limit: LoginLimit,
) -> (Store, SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let htpasswd = dir.join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!("{USER}:{}\n", bcrypt::hash(PASSWORD, 4).unwrap()),
    )
    .unwrap();
    let store = Store::open(dir.join("data")).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let cfg = ServerConfig {
        listen: addr,
        push: true,
        access: AccessConfig {
            htpasswd: Some(htpasswd),
            roles: [(USER.to_owned(), Role::Admin)].into(),
            anonymous_pull: true,
            login_limit,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = store.clone();
    tokio::spawn(async move {
        serve(serving, &cfg, async {
            let _ = rx.await;
        })
        .await
        .expect("registry serves");
    });
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (store, addr, tx)
}

fn actions(entries: &[AuditEntry]) -> Vec<(&str, &str, &str)> {
    entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.subject.as_str()))
        .collect()
}

#[tokio::test]
async fn pushes_deletes_and_failed_logins_are_recorded_without_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let (store, addr, stop) = start(dir.path()).await;
    let me = Some((USER, PASSWORD));
    let repo = "team/app";

    // Blobs and a manifest, pushed by an authenticated user.
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"layer bytes for the audit test";
    for blob in [&config[..], &layer[..]] {
        let d = Digest::of_bytes(blob);
        let r = http(
            LOCAL,
            addr,
            "POST",
            &format!("/v2/{repo}/blobs/uploads/?digest={d}"),
            me,
            &[],
            blob,
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::of_bytes(config).to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": Digest::of_bytes(layer).to_string(), "size": layer.len()}],
    }))
    .unwrap();
    let manifest_digest = Digest::of_bytes(&manifest).to_string();
    let oci = [("Content-Type", "application/vnd.oci.image.manifest.v1+json")];
    let put = format!("/v2/{repo}/manifests/1.0");
    assert_eq!(
        http(LOCAL, addr, "PUT", &put, me, &oci, &manifest)
            .await
            .status,
        201
    );

    // The same push with a wrong password, and from a user who does not exist.
    let denied = http(
        LOCAL,
        addr,
        "PUT",
        &put,
        Some((USER, WRONG)),
        &oci,
        &manifest,
    )
    .await;
    assert_eq!(denied.status, 401);
    assert!(
        denied.headers.contains("www-authenticate: bearer realm="),
        "{}",
        denied.headers
    );
    let r = http(
        LOCAL,
        addr,
        "DELETE",
        &format!("/v2/{repo}/manifests/1.0"),
        Some(("mallory", OTHER_WRONG)),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    // No credentials at all is a client discovering the challenge, not a failed login.
    assert_eq!(
        http(LOCAL, addr, "PUT", &put, None, &oci, &manifest)
            .await
            .status,
        401
    );
    // Reads are not audited.
    assert_eq!(
        http(LOCAL, addr, "GET", &put, None, &[], b"").await.status,
        200
    );

    // Deletes: the tag, the manifest, a blob.
    let del = |p: String| async move { http(LOCAL, addr, "DELETE", &p, me, &[], b"").await.status };
    assert_eq!(del(format!("/v2/{repo}/manifests/1.0")).await, 202);
    assert_eq!(
        del(format!("/v2/{repo}/manifests/{manifest_digest}")).await,
        202
    );
    let layer_digest = Digest::of_bytes(layer).to_string();
    assert_eq!(del(format!("/v2/{repo}/blobs/{layer_digest}")).await, 202);
    let _ = stop.send(());

    let entries = list(store.db(), None).await.unwrap();
    assert_eq!(
        actions(&entries),
        vec![
            (
                USER,
                "manifest.pushed",
                format!("{repo}@{manifest_digest}").as_str()
            ),
            ("anonymous", "login.failed", USER),
            ("anonymous", "login.failed", "mallory"),
            (USER, "tag.deleted", format!("{repo}:1.0").as_str()),
            (
                USER,
                "manifest.deleted",
                format!("{repo}@{manifest_digest}").as_str()
            ),
            (USER, "blob.deleted", layer_digest.as_str()),
        ]
    );
    assert_eq!(
        entries[0].detail,
        json!({"repository": repo, "digest": manifest_digest, "tag": "1.0", "subject": null})
    );
    assert_eq!(
        entries[1].detail,
        json!({"user": USER, "reason": "wrong password", "method": "PUT", "path": put, "address": "127.0.0.1"})
    );
    assert_eq!(entries[2].detail["reason"], json!("unknown user"));
    assert!(verify(store.db(), None).await.unwrap().is_ok());

    // No password, nor the credentials as sent, anywhere in the stored rows.
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT seq || at || actor || action || subject || detail || prev_hash || hash FROM audit_log",
    )
    .fetch_all(store.db())
    .await
    .unwrap();
    let b64 =
        |u: &str, p: &str| base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
    for (row,) in &rows {
        for secret in [
            PASSWORD.to_owned(),
            WRONG.to_owned(),
            OTHER_WRONG.to_owned(),
            "Pa55word".to_owned(),
            b64(USER, PASSWORD),
            b64(USER, WRONG),
            b64("mallory", OTHER_WRONG),
        ] {
            assert!(
                !row.contains(&secret),
                "{secret:?} leaked into the audit log: {row}"
            );
        }
    }
}

/// Credentials that are not well-formed basic auth are failed logins too, recorded without the
/// header's value (it may be a token); absurd user names are cut short.
#[rstest::rstest]
#[case::bearer_token("Bearer eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.sig", None)]
#[case::not_base64("Basic !!!not-base64-Pa55word!!!", None)]
#[case::no_colon("Basic bm8tY29sb24tUGE1NXdvcmQ=", None)]
#[case::not_utf8("Basic //79OnNlY3JldC1QYTU1d29yZA==", None)]
#[case::no_scheme("cHVzaGVyOlBhNTV3b3Jk", None)]
#[case::long_user("long", Some("u".repeat(128)))]
#[tokio::test]
async fn malformed_credentials_are_failed_logins_without_their_value(
    #[case] header: &str,
    #[case] user: Option<String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let (store, addr, stop) = start(dir.path()).await;
    let value = if header == "long" {
        let creds = format!("{}:{}", "u".repeat(10_000), "Pa55word");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(creds)
        )
    } else {
        header.to_owned()
    };
    let r = http(
        LOCAL,
        addr,
        "PUT",
        "/v2/team/app/manifests/1.0",
        None,
        &[("Authorization", &value)],
        b"{}",
    )
    .await;
    assert_eq!(r.status, 401);
    let _ = stop.send(());

    let entries = list(store.db(), None).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let e = &entries[0];
    assert_eq!(
        (e.actor.as_str(), e.action.as_str()),
        ("anonymous", "login.failed")
    );
    assert_eq!(e.detail["user"], json!(user));
    let stored = serde_json::to_string(e).unwrap();
    assert!(
        !stored.contains("Pa55word") && !stored.contains("c2VjcmV0"),
        "{stored}"
    );
    let encoded = value.split(' ').next_back().unwrap();
    assert!(!stored.contains(encoded), "{stored}");
}

/// 200 failed logins from one client: after a burst they are answered 429 with `Retry-After`
/// (at `/token` too), the audit log gains one entry and one counted summary instead of 200
/// entries, and a correct login from another address still works.
#[tokio::test]
async fn a_login_flood_is_limited_and_summarized() {
    let dir = tempfile::tempdir().unwrap();
    let window = Duration::from_secs(4);
    let limit = LoginLimit {
        audit_window: window,
        ..LoginLimit::default()
    };
    let burst = limit.per_address.burst as usize;
    let (store, addr, stop) = start_with(dir.path(), limit).await;
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    for round in 0..20 {
        let tries = (0..10).map(|i| async move {
            let wrong = format!("guess-{round}-{i}");
            let r = http(
                LOCAL,
                addr,
                "GET",
                "/v2/",
                Some(("mallory", &wrong)),
                &[],
                b"",
            )
            .await;
            let retry = r
                .headers
                .lines()
                .find_map(|l| l.strip_prefix("retry-after: ").map(str::to_owned));
            (r.status, retry)
        });
        for (status, retry) in futures_util::future::join_all(tries).await {
            statuses.push(status);
            retry_after.extend(retry);
        }
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(statuses.len(), 200);
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429));
    // All but the burst (and a token or two refilled meanwhile).
    assert!(limited >= 200 - burst - 2, "{statuses:?}");
    assert_eq!(retry_after.len(), limited);
    assert!(retry_after
        .iter()
        .all(|s| s.parse::<u64>().is_ok_and(|s| s >= 1)));

    // The flooding address is refused at the token endpoint too, even with a good password.
    let login = |from: [u8; 4], path: &'static str| async move {
        http(from, addr, "GET", path, Some((USER, PASSWORD)), &[], b"").await
    };
    let r = login([127, 0, 0, 1], "/token?scope=repository:a:pull").await;
    assert_eq!(r.status, 429);
    assert!(r.headers.contains("retry-after: "), "{}", r.headers);
    // Another address logs in.
    for path in ["/v2/", "/token?scope=repository:a:pull"] {
        assert_eq!(login([127, 0, 0, 2], path).await.status, 200, "{path}");
    }
    let flood_took = started.elapsed();

    // Within the window: one entry for the first failure, not 200.
    let failed = |entries: &[AuditEntry]| {
        entries
            .iter()
            .filter(|e| e.action.starts_with("login.failed"))
            .cloned()
            .collect::<Vec<_>>()
    };
    let during = failed(&list(store.db(), None).await.unwrap());
    assert!(!during.is_empty() && during.len() <= 4, "{during:#?}");
    // When the window closes its summary counts them all.
    let mut entries = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        entries = failed(&list(store.db(), None).await.unwrap());
        if entries.iter().any(|e| e.action == "login.failed.summary")
            && started.elapsed() > window * 2
        {
            break;
        }
    }
    let _ = stop.send(());
    let summaries: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "login.failed.summary")
        .collect();
    assert!(!summaries.is_empty(), "{entries:#?}");
    // However the windows fell, a few entries at most, and together they count every failure.
    assert!(entries.len() <= 6, "{entries:#?}");
    let counted: u64 = summaries
        .iter()
        .flat_map(|e| e.detail["logins"].as_array().unwrap().clone())
        .filter(|l| l["address"] == "127.0.0.1" && l["user"] == "mallory")
        .map(|l| l["failed"].as_u64().unwrap())
        .sum();
    if flood_took < window {
        assert_eq!(summaries.len(), 1, "{entries:#?}");
        assert_eq!(counted, 200, "{entries:#?}");
        let login = &summaries[0].detail["logins"][0];
        assert_eq!(login["limited"].as_u64().unwrap() as usize, limited);
    } else {
        assert!(counted >= 190, "{entries:#?}");
    }
    assert!(verify(store.db(), None).await.unwrap().is_ok());
}
