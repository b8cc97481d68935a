//! `ferry fleet profiles`, `ferry fleet profile show NAME@VERSION`, `ferry fleet diff A B`:
//! the profile catalog.

use std::process::ExitCode;

use ferry_agent::client::ApiClient;
use serde_json::Value;

use super::Conn;

#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// One profile version: its layers, variables, revisions and pending clusters.
    Show {
        /// NAME@VERSION (edge-infra@1.2.0).
        profile: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old side, NAME@VERSION.
    pub from: String,
    /// The new side, NAME@VERSION.
    pub to: String,
    /// Merge this cluster's overrides (its groups' and its own) into both sides, and list them.
    #[arg(long)]
    pub cluster: Option<String>,
}

/// Percent-encodes one URL path segment or query value.
pub(super) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn print(conn: &Conn, doc: &Value, text: impl FnOnce(&Value)) -> anyhow::Result<ExitCode> {
    if conn.json() {
        crate::cli::output::print_json(doc)?;
    } else {
        text(doc);
    }
    Ok(ExitCode::SUCCESS)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min("sha256:".len() + 12)]
}

fn joined(v: &Value) -> String {
    v.as_array()
        .map(|a| a.iter().map(s).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

pub async fn list(api: &ApiClient, conn: &Conn) -> anyhow::Result<ExitCode> {
    let doc: Value = api.get("/api/v1/fleet/profiles").await?;
    print(conn, &doc, |doc| {
        let rows = doc["profiles"].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            outln!("no profile versions in the catalog");
            return;
        }
        outln!(
            "{:<32} {:<7} {:>4}  {:<20} LAYERS",
            "PROFILE",
            "TYPE",
            "REV",
            "DIGEST"
        );
        for p in rows {
            let name = format!("{}@{}", s(&p["name"]), s(&p["version"]));
            outln!(
                "{name:<32} {:<7} {:>4}  {:<20} {}",
                s(&p["profileType"]),
                p["revision"],
                short(s(&p["digest"])),
                joined(&p["layers"])
            );
        }
    })
}

pub async fn show(api: &ApiClient, conn: &Conn, cmd: ProfileCommand) -> anyhow::Result<ExitCode> {
    let ProfileCommand::Show { profile } = cmd;
    let (name, version) = profile
        .split_once('@')
        .ok_or_else(|| anyhow::anyhow!("{profile:?} is not NAME@VERSION (edge-infra@1.2.0)"))?;
    let doc: Value = api
        .get(&format!(
            "/api/v1/fleet/profiles/{}/{}",
            enc(name),
            enc(version)
        ))
        .await?;
    print(conn, &doc, |d| {
        outln!(
            "{}@{}  {}  revision {}",
            s(&d["name"]),
            s(&d["version"]),
            s(&d["profileType"]),
            d["revision"]
        );
        outln!("digest  {}", s(&d["digest"]));
        outln!("bundle  {}", s(&d["bundle"]));
        outln!("layers:");
        for l in d["definition"]["layers"].as_array().into_iter().flatten() {
            let units: Vec<String> = l["units"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| {
                    u.as_object()?.iter().next().map(|(k, v)| match k.as_str() {
                        "chart" | "pack" => format!("{k} {} {}", s(&v["name"]), s(&v["version"])),
                        other => other.to_owned(),
                    })
                })
                .collect();
            outln!(
                "  {} ({}): {}",
                s(&l["name"]),
                s(&l["kind"]),
                units.join(", ")
            );
            for i in l["images"].as_array().into_iter().flatten() {
                outln!("    image {}@{}", s(&i["reference"]), s(&i["digest"]));
            }
        }
        let vars = d["definition"]["variables"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !vars.is_empty() {
            outln!("variables:");
            for v in vars {
                let mut flags = vec![s(&v["type"]).to_owned()];
                if v["required"] == true {
                    flags.push("required".into());
                }
                if v["secret"] == true {
                    flags.push("secret".into());
                }
                if let Some(d) = v.get("default") {
                    flags.push(format!("default {d}"));
                }
                outln!("  {} ({})", s(&v["name"]), flags.join(", "));
            }
        }
        outln!("revisions:");
        for r in d["revisions"].as_array().into_iter().flatten() {
            outln!(
                "  {}  {}  bundle {}",
                r["revision"],
                s(&r["digest"]),
                short(s(&r["bundle"]))
            );
        }
        outln!("assigned: {}", joined(&d["assignedClusters"]));
        outln!("pending update: {}", joined(&d["pendingClusters"]));
    })
}

pub async fn diff(api: &ApiClient, conn: &Conn, args: DiffArgs) -> anyhow::Result<ExitCode> {
    let mut path = format!(
        "/api/v1/fleet/profiles/diff?from={}&to={}",
        enc(&args.from),
        enc(&args.to)
    );
    if let Some(c) = &args.cluster {
        path.push_str(&format!("&cluster={}", enc(c)));
    }
    let doc: Value = api.get(&path).await?;
    print(conn, &doc, print_diff)
}

fn image(i: &Value) -> String {
    format!("{}@{}", s(&i["reference"]), s(&i["digest"]))
}

fn print_images(indent: &str, images: &Value) {
    for i in images["added"].as_array().into_iter().flatten() {
        outln!("{indent}+ image {}", image(i));
    }
    for i in images["removed"].as_array().into_iter().flatten() {
        outln!("{indent}- image {}", image(i));
    }
    for c in images["changed"].as_array().into_iter().flatten() {
        outln!(
            "{indent}~ image {} -> {}",
            image(&c["from"]),
            image(&c["to"])
        );
    }
}

fn shown(v: &Value) -> String {
    if v.is_null() {
        "(none)".into()
    } else {
        v.to_string()
    }
}

fn print_diff(d: &Value) {
    outln!(
        "{} (revision {}) -> {} (revision {})",
        s(&d["from"]),
        d["fromRevision"],
        s(&d["to"]),
        d["toRevision"]
    );
    if let Some(t) = d.get("profileType") {
        outln!("~ type {} -> {}", s(&t["from"]), s(&t["to"]));
    }
    for l in d["layersAdded"].as_array().into_iter().flatten() {
        outln!("+ layer {}", s(l));
    }
    for l in d["layersRemoved"].as_array().into_iter().flatten() {
        outln!("- layer {}", s(l));
    }
    for l in d["layersChanged"].as_array().into_iter().flatten() {
        outln!("~ layer {}", s(&l["name"]));
        if let Some(k) = l.get("kind") {
            outln!("    kind {} -> {}", s(&k["from"]), s(&k["to"]));
        }
        for c in l["charts"].as_array().into_iter().flatten() {
            outln!(
                "    {} {} -> {}",
                s(&c["unit"]),
                shown(&c["from"]),
                shown(&c["to"])
            );
        }
        for v in l["values"].as_array().into_iter().flatten() {
            outln!(
                "    {}: {} -> {}",
                s(&v["path"]),
                shown(&v["from"]),
                shown(&v["to"])
            );
        }
        for m in l["manifests"].as_array().into_iter().flatten() {
            outln!("    {} {}", s(&m["file"]), s(&m["change"]));
        }
    }
    print_images("", &d["images"]);
    for v in d["variables"].as_array().into_iter().flatten() {
        outln!(
            "~ variable {}: {} -> {}",
            s(&v["path"]),
            shown(&v["from"]),
            shown(&v["to"])
        );
    }
    if let Some(o) = d.get("overrides").and_then(Value::as_object) {
        outln!(
            "overrides of cluster {} (merged into both sides):",
            s(&d["cluster"])
        );
        if o.is_empty() {
            outln!("  (none)");
        }
        for (layer, values) in o {
            outln!("  {layer}: {values}");
        }
    }
}
