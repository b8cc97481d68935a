//! Wave planning (cumulative counts and percentages over targets sorted by name) and
//! maintenance windows: pure functions, no database.

use ferry_mirror::fleet::rollout::plan::{check_waves, parse_waves, plan_waves, Window};
use ferry_mirror::fleet::rollout::{replace_profile, split_ref, WaveSize};
use rstest::rstest;

fn clusters(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("edge-{i:02}")).collect()
}

fn sizes(plan: &[Vec<String>]) -> Vec<usize> {
    plan.iter().map(Vec::len).collect()
}

#[rstest]
#[case::canary_quarter_rest(12, "1,25%,100%", vec![1, 2, 9])]
#[case::the_issue_example_on_three(3, "1,100%", vec![1, 2])]
#[case::percent_rounds_up(3, "25%,100%", vec![1, 2])]
#[case::a_mark_that_adds_nothing_is_no_wave(3, "1,25%,100%", vec![1, 2])]
#[case::one_cluster(1, "1,25%,100%", vec![1])]
#[case::more_waves_than_clusters(2, "1,2,3,4,5", vec![1, 1])]
#[case::all_at_once(5, "100%", vec![5])]
#[case::counts_beyond_the_targets_clip(4, "10", vec![4])]
#[case::the_rest_gets_a_last_wave(10, "1,20%", vec![1, 1, 8])]
#[case::no_marks_is_one_wave(7, "", vec![7])]
#[case::one_percent_of_many(1000, "1%,10%,100%", vec![10, 90, 900])]
fn waves_split_the_targets(#[case] n: usize, #[case] marks: &str, #[case] expect: Vec<usize>) {
    let marks = if marks.is_empty() {
        Vec::new()
    } else {
        parse_waves(marks).unwrap()
    };
    let targets = clusters(n);
    let plan = plan_waves(&targets, &marks);
    assert_eq!(sizes(&plan), expect, "{marks:?} over {n}");
    // Every target exactly once, in name order.
    assert_eq!(plan.concat(), targets);
}

#[test]
fn no_targets_no_waves() {
    assert!(plan_waves(&[], &parse_waves("1,25%,100%").unwrap()).is_empty());
}

#[test]
fn parse_reads_counts_and_percentages() {
    assert_eq!(
        parse_waves(" 1, 25% ,100%").unwrap(),
        vec![
            WaveSize::Count(1),
            WaveSize::Percent(25),
            WaveSize::Percent(100)
        ]
    );
}

#[rstest]
#[case("0", "a wave of 0 clusters")]
#[case("0%", "0% is not a share")]
#[case("101%", "101% is not a share")]
#[case("1,,2", "\"\" is neither")]
#[case("-1", "\"-1\" is neither")]
#[case("ten", "\"ten\" is neither")]
#[case("5%%", "\"5%%\" is neither")]
fn bad_marks_are_refused(#[case] text: &str, #[case] message: &str) {
    let e = parse_waves(text).unwrap_err().to_string();
    assert!(e.contains(message), "{text:?}: {e}");
}

#[test]
fn check_refuses_what_json_could_carry() {
    assert!(check_waves(&[WaveSize::Percent(0)]).is_err());
    assert!(check_waves(&[WaveSize::Count(0)]).is_err());
    assert!(check_waves(&vec![WaveSize::Count(1); 101]).is_err());
    assert!(check_waves(&[WaveSize::Count(1), WaveSize::Percent(100)]).is_ok());
}

const H: i64 = 3600;
/// 2026-12-01 00:00:00 UTC.
const DAY0: i64 = 1_796_083_200;

#[rstest]
#[case::inside("daily 01:00-05:00", 2 * H, true)]
#[case::at_start("daily 01:00-05:00", H, true)]
#[case::at_end_is_out("daily 01:00-05:00", 5 * H, false)]
#[case::before("daily 01:00-05:00", 30 * 60, false)]
#[case::across_midnight_late("daily 22:00-02:00", 23 * H, true)]
#[case::across_midnight_early("daily 22:00-02:00", H, true)]
#[case::across_midnight_noon("daily 22:00-02:00", 12 * H, false)]
fn windows_contain_times_of_day(#[case] w: &str, #[case] at: i64, #[case] open: bool) {
    let window = Window::parse(w).unwrap();
    assert_eq!(window.contains(DAY0 + at), open, "{w} at {at}");
    assert_eq!(
        window.contains(DAY0 + 86_400 * 3 + at),
        open,
        "three days on"
    );
    assert_eq!(window.to_string(), w);
}

#[test]
fn next_open_is_today_or_tomorrow() {
    let w = Window::parse("daily 01:00-05:00").unwrap();
    assert_eq!(w.next_open(DAY0 + 30 * 60), DAY0 + H);
    assert_eq!(w.next_open(DAY0 + 2 * H), DAY0 + 2 * H);
    assert_eq!(w.next_open(DAY0 + 6 * H), DAY0 + 86_400 + H);
}

#[rstest]
#[case("01:00-05:00")]
#[case("daily 1:00-05:00")]
#[case("daily 24:00-05:00")]
#[case("daily 01:60-05:00")]
#[case("daily 01:00-01:00")]
#[case("weekly 01:00-05:00")]
#[case("daily 01:00")]
fn bad_windows_are_refused(#[case] w: &str) {
    let e = Window::parse(w).unwrap_err().to_string();
    assert!(e.starts_with("maintenance window"), "{e}");
}

#[test]
fn the_profile_replaces_its_name_and_keeps_the_others() {
    let before = vec![
        "edge-infra@1.0.0".to_owned(),
        "hello-addon@0.1.0".to_owned(),
    ];
    assert_eq!(
        replace_profile(&before, "edge-infra@1.1.0"),
        vec!["edge-infra@1.1.0", "hello-addon@0.1.0"]
    );
    assert_eq!(
        replace_profile(&before, "other@2.0.0"),
        vec!["edge-infra@1.0.0", "hello-addon@0.1.0", "other@2.0.0"]
    );
    // A name that is a prefix of another is not that other.
    assert_eq!(
        replace_profile(&["edge-infra-extra@1.0.0".to_owned()], "edge-infra@1.1.0"),
        vec!["edge-infra-extra@1.0.0", "edge-infra@1.1.0"]
    );
    assert_eq!(
        split_ref("edge-infra@1.1.0").unwrap(),
        ("edge-infra", "1.1.0")
    );
    for bad in ["edge-infra", "@1.0", "edge@", "a@b@c"] {
        assert!(split_ref(bad).is_err(), "{bad}");
    }
}
