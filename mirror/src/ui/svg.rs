//! Pictures drawn on the server as inline SVG: a stacked bar of clusters by state and a progress
//! bar per rollout wave. Each carries a text alternative (`role="img"` and a title), so a screen
//! reader and a page without styles say what the picture shows.

use maud::{html, Markup};

/// Colours per cluster state (the same as the stylesheet's state classes).
fn colour(state: &str) -> &'static str {
    match state {
        "Ready" => "#1a7f37",
        "Pending" | "OutOfSync" => "#9a6700",
        "Modified" => "#cf222e",
        "Failed" => "#8b0000",
        "Offline" => "#57606a",
        _ => "#0b5cad",
    }
}

/// One bar, split by `parts` (label, count), with a legend under it.
pub fn stacked_bar(title: &str, parts: &[(String, usize)]) -> Markup {
    const WIDTH: f64 = 600.0;
    let total: usize = parts.iter().map(|(_, n)| n).sum();
    let summary = parts
        .iter()
        .map(|(l, n)| format!("{l} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut x = 0.0;
    let segments: Vec<(f64, f64, &str, &str, usize)> = parts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(label, n)| {
            let w = WIDTH * *n as f64 / total.max(1) as f64;
            let seg = (x, w, colour(label), label.as_str(), *n);
            x += w;
            seg
        })
        .collect();
    html! {
        svg width="100%" viewBox="0 0 600 44" role="img" aria-label=(format!("{title}: {summary}")) {
            title { (title) ": " (summary) }
            rect x="0" y="0" width="600" height="20" fill="#eaeef2" {}
            @for (x, w, fill, label, n) in &segments {
                rect x=(format!("{x:.1}")) y="0" width=(format!("{w:.1}")) height="20" fill=(fill) {
                    title { (label) ": " (n) }
                }
            }
            @for (i, (label, n)) in parts.iter().enumerate() {
                @let lx = i * 100;
                rect x=(lx) y="28" width="10" height="10" fill=(colour(label)) {}
                text x=(lx + 14) y="37" { (label) " " (n) }
            }
        }
    }
}

/// A progress bar: `done` of `total`, with `failed` of them in red.
pub fn progress(label: &str, done: usize, failed: usize, total: usize) -> Markup {
    let w = |n: usize| 300.0 * n as f64 / total.max(1) as f64;
    let text = format!("{label}: {done} of {total} updated, {failed} failed");
    html! {
        svg width="300" height="16" viewBox="0 0 300 16" role="img" aria-label=(text) {
            title { (text) }
            rect x="0" y="0" width="300" height="16" fill="#eaeef2" {}
            rect x="0" y="0" width=(format!("{:.1}", w(done))) height="16" fill="#1a7f37" {}
            rect x=(format!("{:.1}", w(done))) y="0" width=(format!("{:.1}", w(failed))) height="16" fill="#b42318" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_says_what_it_shows_and_escapes_its_labels() {
        let svg = stacked_bar(
            "Clusters by state",
            &[
                ("Ready".into(), 3),
                ("<script>".into(), 1),
                ("Failed".into(), 0),
            ],
        )
        .into_string();
        assert!(
            svg.contains(r#"aria-label="Clusters by state: Ready 3, &lt;script&gt; 1, Failed 0""#),
            "{svg}"
        );
        assert!(!svg.contains("<script>"), "{svg}");
        // Ready takes three quarters of the bar.
        assert!(svg.contains(r#"width="450.0""#), "{svg}");
        let p = progress("Wave 1", 1, 1, 4).into_string();
        assert!(p.contains("Wave 1: 1 of 4 updated, 1 failed"), "{p}");
        assert!(p.contains(r#"width="75.0""#), "{p}");
    }
}
