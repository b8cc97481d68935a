//! The bars as a terminal shows them: indicatif's in-memory terminal (a vt100 parser) is the
//! draw target, so these tests read the screen a user would see.

use indicatif::{InMemoryTerm, MultiProgress, ProgressDrawTarget};

use super::{log_line, Reporter};
use crate::cli::logging::AboveBars;
use ferry_bundler::net::Progress;

fn screen() -> (InMemoryTerm, MultiProgress) {
    let term = InMemoryTerm::new(12, 120);
    let multi =
        MultiProgress::with_draw_target(ProgressDrawTarget::term_like(Box::new(term.clone())));
    (term, multi)
}

fn lines(term: &InMemoryTerm) -> Vec<String> {
    term.contents().lines().map(str::to_owned).collect()
}

#[test]
fn phases_get_a_line_each_items_as_items_and_the_artifact_named() {
    let (term, multi) = screen();
    let reporter = Reporter::on(multi);
    reporter.report(Progress::items("resolve", 0, 40, None));
    reporter.report(Progress::items(
        "resolve",
        12,
        40,
        Some("reg.example/app:1.0"),
    ));
    reporter.report(Progress::bytes("fetch", 0, 4096, None));
    reporter.report(Progress::bytes(
        "fetch",
        1024,
        4096,
        Some("reg.example/db:2.0"),
    ));

    let screen = lines(&term);
    assert_eq!(
        screen.len(),
        2,
        "one line per phase, none drawn over another:\n{screen:#?}"
    );
    assert!(screen[0].trim_start().starts_with("resolve"), "{screen:#?}");
    assert!(screen[0].contains("12/40 items"), "{screen:#?}");
    assert!(
        !screen[0].contains(" B"),
        "items are not bytes: {screen:#?}"
    );
    assert!(screen[0].ends_with("reg.example/app:1.0"), "{screen:#?}");
    assert!(screen[1].trim_start().starts_with("fetch"), "{screen:#?}");
    assert!(screen[1].contains("1.00 KiB/4.00 KiB"), "{screen:#?}");
    assert!(screen[1].ends_with("reg.example/db:2.0"), "{screen:#?}");
}

#[test]
fn log_lines_land_above_the_bars_on_their_own_line() {
    let (term, multi) = screen();
    let reporter = Reporter::on(multi.clone());
    reporter.report(Progress::items("resolve", 3, 10, None));
    reporter.report(Progress::bytes("fetch", 10, 100, None));
    log_line(&multi, b"WARN first\n");
    // Through tracing, as every log record of the process goes.
    let subscriber = tracing_subscriber::fmt()
        .with_writer(AboveBars(multi.clone()))
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .finish();
    tracing::subscriber::with_default(subscriber, || tracing::info!("second"));
    reporter.report(Progress::bytes("fetch", 20, 100, None));

    let screen = lines(&term);
    assert_eq!(screen.len(), 4, "{screen:#?}");
    assert_eq!(screen[0], "WARN first");
    assert_eq!(screen[1].trim(), "INFO second");
    assert!(screen[2].contains("3/10 items"), "{screen:#?}");
    assert!(screen[3].trim_start().starts_with("fetch"), "{screen:#?}");
}

#[test]
fn a_phase_that_completes_is_cleared_and_finish_clears_the_rest() {
    let (term, multi) = screen();
    let reporter = Reporter::on(multi);
    reporter.report(Progress::items("resolve", 0, 2, None));
    reporter.report(Progress::bytes("fetch", 0, 100, None));
    reporter.report(Progress::items("resolve", 2, 2, Some("last")));
    let screen = lines(&term);
    assert_eq!(screen.len(), 1, "{screen:#?}");
    assert!(screen[0].trim_start().starts_with("fetch"), "{screen:#?}");

    // A late, smaller report of the finished phase (concurrent tasks) brings no bar back.
    reporter.report(Progress::items("resolve", 1, 2, None));
    assert_eq!(lines(&term).len(), 1, "{:#?}", lines(&term));

    // Nothing to fetch at all (everything cached): done at once, never frozen at 0%.
    reporter.report(Progress::bytes("write", 0, 0, None));
    assert_eq!(lines(&term).len(), 1, "{:#?}", lines(&term));

    reporter.finish();
    assert_eq!(term.contents(), "", "finished bars are cleared");
}

#[test]
fn a_phase_run_again_gets_a_fresh_bar_and_a_dropped_reporter_clears_it() {
    let (term, multi) = screen();
    let reporter = Reporter::on(multi);
    reporter.report(Progress::items("resolve", 0, 1, None));
    reporter.report(Progress::items("resolve", 1, 1, Some("chart")));
    reporter.report(Progress::items("resolve", 0, 5, None));
    reporter.report(Progress::items("resolve", 1, 5, Some("image")));
    let screen = lines(&term);
    assert_eq!(screen.len(), 1, "{screen:#?}");
    assert!(screen[0].contains("1/5 items"), "{screen:#?}");

    // A build that fails mid-fetch drops its reporter without finish().
    drop(reporter);
    assert_eq!(term.contents(), "", "no bar left behind");
}
