//! `ferry fleet status [CLUSTER]`: every cluster's state, or one cluster's layers and drift.

use std::process::ExitCode;

use ferry_agent::client::ApiClient;
use serde_json::Value;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// One cluster: its state and why, its layers and its image drift.
    pub cluster: Option<String>,
}

pub async fn run(api: &ApiClient, json: bool, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let doc: Value = match &args.cluster {
        None => {
            api.get_all_pages("/api/v1/fleet/status", super::query::PAGE)
                .await?
        }
        Some(c) => {
            api.get(&format!(
                "/api/v1/fleet/clusters/{}/status",
                ferry_agent::client::encode(c)
            ))
            .await?
        }
    };
    if json {
        outln!("{}", serde_json::to_string(&doc)?);
    } else if args.cluster.is_none() {
        print_fleet(&doc);
    } else {
        print_cluster(&doc);
    }
    Ok(ExitCode::SUCCESS)
}

fn or_dash(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_fleet(doc: &Value) {
    outln!(
        "{:<24} {:<10} {:>7} {:>7} {:>12}  REASON",
        "CLUSTER",
        "STATE",
        "DESIRED",
        "APPLIED",
        "LAST REPORT"
    );
    for c in doc["clusters"].as_array().into_iter().flatten() {
        outln!(
            "{:<24} {:<10} {:>7} {:>7} {:>12}  {}",
            or_dash(&c["cluster"]),
            or_dash(&c["state"]),
            or_dash(&c["desiredRevision"]),
            or_dash(&c["appliedRevision"]),
            or_dash(&c["lastReportAt"]),
            c["reasons"][0].as_str().unwrap_or("")
        );
    }
}

fn print_cluster(s: &Value) {
    outln!("cluster:  {}", or_dash(&s["cluster"]));
    outln!("state:    {}", or_dash(&s["state"]));
    for r in s["reasons"].as_array().into_iter().flatten() {
        outln!("          {}", r.as_str().unwrap_or(""));
    }
    outln!(
        "desired:  revision {} ({})",
        or_dash(&s["desiredRevision"]),
        or_dash(&s["desiredDigest"])
    );
    outln!(
        "applied:  revision {} ({})",
        or_dash(&s["appliedRevision"]),
        or_dash(&s["appliedDigest"])
    );
    outln!(
        "reported: {} (sequence {})",
        or_dash(&s["lastReportAt"]),
        or_dash(&s["lastSequence"])
    );
    outln!("layers:");
    for l in s["layers"].as_array().into_iter().flatten() {
        let ready = if l["ready"] == Value::Bool(true) {
            "ready"
        } else {
            "not ready"
        };
        outln!(
            "  {}/{}: {ready}",
            or_dash(&l["profile"]),
            or_dash(&l["layer"])
        );
        for i in l["images"].as_array().into_iter().flatten() {
            outln!(
                "    {} {} containers={} not-ready={} other-digests={}",
                or_dash(&i["reference"]),
                or_dash(&i["digest"]),
                i["containers"],
                i["notReady"],
                i["otherDigests"]
            );
        }
    }
    let d = &s["drift"];
    outln!("drift:");
    for u in d["unexpected"].as_array().into_iter().flatten() {
        let system = if u["system"] == Value::Bool(true) {
            " (system)"
        } else {
            ""
        };
        outln!(
            "  unexpected  {}/{} {} {}{system}",
            or_dash(&u["namespace"]),
            or_dash(&u["pod"]),
            or_dash(&u["reference"]),
            or_dash(&u["digest"])
        );
    }
    for m in d["missing"].as_array().into_iter().flatten() {
        outln!(
            "  missing     {} {} (layer {})",
            or_dash(&m["reference"]),
            or_dash(&m["digest"]),
            or_dash(&m["layer"])
        );
    }
    for m in d["digestMismatch"].as_array().into_iter().flatten() {
        outln!(
            "  digest      {}/{} {} runs {}, desired {}",
            or_dash(&m["namespace"]),
            or_dash(&m["pod"]),
            or_dash(&m["repository"]),
            or_dash(&m["runningDigest"]),
            m["desiredDigests"]
                .as_array()
                .map(|a| a.iter().map(or_dash).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        );
    }
}
