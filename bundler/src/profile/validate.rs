//! Semantic checks serde cannot express: required non-empty strings, one-of fields,
//! platform syntax, digests and versions. Errors say which layer and source is wrong.

use std::collections::BTreeSet;

use super::model::{ChartSource, FileSource, ManifestsSource, PackSource, Profile, Source};
use crate::discover::normalize_reference;

pub(super) fn validate(profile: &Profile) -> Result<(), String> {
    non_empty("name", &profile.name)?;
    non_empty("version", &profile.version)?;
    for platform in &profile.platforms {
        check_platform(platform).map_err(|m| format!("platforms: {m}"))?;
    }
    if profile.layers.is_empty() {
        return Err("a profile needs at least one layer".into());
    }
    let mut names = BTreeSet::new();
    for layer in &profile.layers {
        let at = format!("layer {:?}", layer.name);
        non_empty("layer name", &layer.name)?;
        if !names.insert(layer.name.as_str()) {
            return Err(format!("{at}: duplicate layer name"));
        }
        for platform in layer.platforms.iter().flatten() {
            check_platform(platform).map_err(|m| format!("{at}: platforms: {m}"))?;
        }
        if layer.sources.is_empty() {
            return Err(format!("{at}: a layer needs at least one source"));
        }
        for (index, source) in layer.sources.iter().enumerate() {
            check_source(source).map_err(|m| format!("{at} source {}: {m}", index + 1))?;
        }
    }
    Ok(())
}

fn non_empty(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    Ok(())
}

/// `os/arch[/variant]`, lower-case identifiers.
pub(super) fn check_platform(platform: &str) -> Result<(), String> {
    let parts: Vec<&str> = platform.split('/').collect();
    let well_formed = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if !well_formed {
        return Err(format!("{platform:?} is not os/arch[/variant]"));
    }
    Ok(())
}

fn check_source(source: &Source) -> Result<(), String> {
    match source {
        Source::Chart(chart) => check_chart(chart),
        Source::Manifests(manifests) => check_manifests(manifests),
        Source::Pack(pack) => check_pack(pack),
        Source::Images(images) => {
            if images.is_empty() {
                return Err("images: list is empty".into());
            }
            for image in images {
                normalize_reference(image).map_err(|e| format!("images: {e}"))?;
            }
            Ok(())
        }
        Source::Files(files) => {
            if files.is_empty() {
                return Err("files: list is empty".into());
            }
            files.iter().try_for_each(check_file)
        }
    }
}

fn check_chart(chart: &ChartSource) -> Result<(), String> {
    let origins = [chart.repo.is_some(), chart.oci.is_some(), chart.path.is_some()];
    if origins.iter().filter(|o| **o).count() != 1 {
        return Err("chart: exactly one of repo, oci or path is required".into());
    }
    if let Some(repo) = &chart.repo {
        if !(repo.starts_with("https://") || repo.starts_with("http://")) {
            return Err(format!("chart: repo {repo:?} is not an http(s) url"));
        }
        if chart.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err("chart: a repo chart needs a name".into());
        }
    }
    if let Some(oci) = &chart.oci {
        check_oci(oci).map_err(|m| format!("chart: {m}"))?;
    }
    if chart.path.is_none() {
        let version = chart
            .version
            .as_deref()
            .ok_or("chart: version is required for repo and oci charts")?;
        check_version_req(version).map_err(|m| format!("chart: {m}"))?;
    }
    Ok(())
}

fn check_oci(oci: &str) -> Result<(), String> {
    let rest = oci
        .strip_prefix("oci://")
        .ok_or_else(|| format!("{oci:?} does not start with oci://"))?;
    if rest.split('/').count() < 2 || rest.split('/').any(str::is_empty) {
        return Err(format!("{oci:?} is not oci://registry/repository"));
    }
    Ok(())
}

/// An exact version or a semver range such as `^6.4` or `6.x`.
pub(super) fn check_version_req(version: &str) -> Result<(), String> {
    let trimmed = version.trim().trim_start_matches('v');
    semver::VersionReq::parse(trimmed)
        .map(|_| ())
        .map_err(|e| format!("version {version:?} is not a semver version or range: {e}"))
}

fn check_manifests(manifests: &ManifestsSource) -> Result<(), String> {
    if manifests.files.is_empty() && manifests.inline.is_empty() {
        return Err("manifests: needs files or inline".into());
    }
    Ok(())
}

fn check_pack(pack: &PackSource) -> Result<(), String> {
    match (&pack.path, &pack.oci) {
        (Some(_), None) => Ok(()),
        (None, Some(oci)) => {
            check_oci(oci).map_err(|m| format!("pack: {m}"))?;
            let version = pack
                .version
                .as_deref()
                .ok_or("pack: version is required for an oci pack")?;
            non_empty("pack version", version)
        }
        _ => Err("pack: exactly one of path or oci is required".into()),
    }
}

fn check_file(file: &FileSource) -> Result<(), String> {
    match (&file.url, &file.path) {
        (Some(url), None) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("files: url {url:?} is not an http(s) url"));
            }
            if file.sha256.is_none() {
                return Err(format!("files: {url:?} needs a sha256"));
            }
        }
        (None, Some(_)) => {}
        _ => return Err("files: exactly one of url or path is required".into()),
    }
    if let Some(sha) = &file.sha256 {
        let hex_ok = sha.len() == 64 && sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
        if !hex_ok {
            return Err(format!("files: sha256 {sha:?} is not 64 lower-case hex digits"));
        }
    }
    match file.effective_name() {
        Some(name) if !name.contains('/') && name != ".." && name != "." => Ok(()),
        _ => Err("files: cannot derive a plain file name; set name".into()),
    }
}
