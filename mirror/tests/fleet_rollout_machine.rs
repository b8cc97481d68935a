//! The rollout state machine and the health gate as tables: every transition of a tick, every
//! operator command, and what makes one cluster pass, fail, wait or time out. No database.

use ferry_mirror::fleet::rollout::gate::{self, Health, Observation};
use ferry_mirror::fleet::rollout::machine::{command, evaluate, Command, Position, Transition};
use ferry_mirror::fleet::rollout::{Gate, State, Window};
use rstest::rstest;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
/// 2026-12-01 03:00 UTC, inside "daily 01:00-05:00".
const NOW: i64 = 1_796_083_200 + 3 * 3600;
const STARTED: i64 = NOW - 100;
const DEADLINE: i64 = STARTED + 600;

fn obs(health: Health, applied: Option<&str>, at: Option<i64>) -> Observation {
    Observation {
        health,
        applied: applied.map(str::to_owned),
        last_report_at: at,
    }
}

#[rstest]
#[case::applied_and_ready_after_start(obs(Health::Ready, Some(D2), Some(NOW - 10)), NOW, Gate::Passed)]
#[case::flux_style_revision(obs(Health::Ready, Some(&format!("rev-4@{D2}")), Some(NOW - 10)), NOW, Gate::Passed)]
#[case::ready_on_the_old_digest(obs(Health::Ready, Some(D1), Some(NOW - 10)), NOW, Gate::Waiting)]
#[case::report_from_before_the_wave(obs(Health::Ready, Some(D2), Some(STARTED - 1)), NOW, Gate::Waiting)]
#[case::report_in_the_second_the_wave_started(
    obs(Health::Ready, Some(D2), Some(STARTED)),
    NOW,
    Gate::Waiting
)]
#[case::applied_but_pending(obs(Health::Pending, Some(D2), Some(NOW - 10)), NOW, Gate::Waiting)]
#[case::applied_but_modified(obs(Health::Modified, Some(D2), Some(NOW - 10)), NOW, Gate::Waiting)]
#[case::failed_after_start(obs(Health::Failed, Some(D2), Some(NOW - 10)), NOW, Gate::Failed("reported failed".into()))]
#[case::failed_before_start_waits(obs(Health::Failed, Some(D1), Some(STARTED - 5)), NOW, Gate::Waiting)]
#[case::offline(obs(Health::Offline, Some(D1), Some(STARTED - 5000)), NOW, Gate::Failed("offline".into()))]
#[case::never_reported(obs(Health::Unknown, None, None), NOW, Gate::Waiting)]
#[case::never_reported_past_deadline(obs(Health::Unknown, None, None), DEADLINE, Gate::TimedOut)]
#[case::old_digest_past_deadline(obs(Health::Ready, Some(D1), Some(NOW)), DEADLINE + 1, Gate::TimedOut)]
#[case::passing_beats_the_deadline(obs(Health::Ready, Some(D2), Some(DEADLINE)), DEADLINE + 1, Gate::Passed)]
fn the_gate_of_one_cluster(#[case] o: Observation, #[case] now: i64, #[case] expect: Gate) {
    assert_eq!(gate::evaluate(&o, D2, STARTED, DEADLINE, now), expect);
}

#[test]
fn applied_compares_the_digest_after_the_last_at() {
    assert!(gate::applied_is(D2, D2));
    assert!(gate::applied_is(&format!("current@{D2}"), D2));
    assert!(!gate::applied_is(&format!("current@{D1}"), D2));
    assert!(!gate::applied_is(&format!("{D2}x"), D2));
}

fn pos(state: State, wave: Option<u32>, waves: u32, max_unavailable: u32) -> Position {
    Position {
        state,
        wave,
        wave_count: waves,
        max_unavailable,
        window: None,
    }
}

fn gates(list: &[Gate]) -> Vec<(String, Gate)> {
    list.iter()
        .enumerate()
        .map(|(i, g)| (format!("c{i}"), g.clone()))
        .collect()
}

fn failed() -> Gate {
    Gate::Failed("reported failed".into())
}

#[rstest]
#[case::pending_starts_wave_one(pos(State::Pending, None, 2, 0), vec![], false, Some(Transition::StartWave(1)))]
#[case::wave_still_being_started(pos(State::Progressing, Some(1), 2, 0), vec![Gate::Passed, Gate::NotStarted], false, None)]
#[case::waiting_for_reports(pos(State::Progressing, Some(1), 2, 0), vec![Gate::Passed, Gate::Waiting], false, None)]
#[case::all_passed_next_wave(pos(State::Progressing, Some(1), 3, 0), vec![Gate::Passed, Gate::Passed], false, Some(Transition::StartWave(2)))]
#[case::last_wave_passed_succeeds(pos(State::Progressing, Some(3), 3, 0), vec![Gate::Passed], false, Some(Transition::Succeed))]
#[case::one_failure_over_zero_pauses(pos(State::Progressing, Some(1), 2, 0), vec![failed()], false, Some(pause(&["c0"])))]
#[case::timeout_over_zero_pauses(pos(State::Progressing, Some(1), 2, 0), vec![Gate::Passed, Gate::TimedOut], true, Some(pause(&["c1"])))]
#[case::two_over_one_pauses(pos(State::Progressing, Some(2), 2, 1), vec![failed(), Gate::TimedOut, Gate::Passed], true, Some(pause(&["c0", "c1"])))]
#[case::tolerated_failure_waits_for_the_deadline(pos(State::Progressing, Some(1), 2, 1), vec![failed(), Gate::Passed], false, None)]
#[case::tolerated_failure_then_next_wave(pos(State::Progressing, Some(1), 2, 1), vec![failed(), Gate::Passed], true, Some(Transition::StartWave(2)))]
#[case::tolerated_timeout_on_last_wave(pos(State::Progressing, Some(2), 2, 1), vec![Gate::TimedOut, Gate::Passed], true, Some(Transition::Succeed))]
#[case::paused_stays(pos(State::Paused, Some(1), 2, 0), vec![Gate::Passed], true, None)]
#[case::failed_stays(pos(State::Failed, Some(1), 2, 0), vec![Gate::Passed], true, None)]
#[case::succeeded_stays(pos(State::Succeeded, Some(2), 2, 0), vec![Gate::Passed], true, None)]
#[case::rolled_back_stays(pos(State::RolledBack, Some(1), 2, 0), vec![Gate::Passed], true, None)]
fn a_tick(
    #[case] p: Position,
    #[case] g: Vec<Gate>,
    #[case] deadline_passed: bool,
    #[case] expect: Option<Transition>,
) {
    let t = evaluate(&p, &gates(&g), deadline_passed, NOW);
    match expect {
        None => assert!(matches!(t, Transition::Stay { .. }), "{t:?}"),
        Some(Transition::Pause { clusters, .. }) => match t {
            Transition::Pause {
                clusters: got,
                reason,
            } => {
                assert_eq!(got, clusters);
                assert!(reason.contains("more than max unavailable"), "{reason}");
                for c in &clusters {
                    assert!(reason.contains(c.as_str()), "{reason}");
                }
            }
            other => panic!("expected a pause of {clusters:?}, got {other:?}"),
        },
        Some(expect) => assert_eq!(t, expect),
    }
}

fn pause(clusters: &[&str]) -> Transition {
    Transition::Pause {
        reason: String::new(),
        clusters: clusters.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn a_pause_names_why_each_cluster_counts() {
    let t = evaluate(
        &pos(State::Progressing, Some(1), 2, 0),
        &gates(&[Gate::Failed("offline".into()), Gate::TimedOut]),
        true,
        NOW,
    );
    let Transition::Pause { reason, .. } = t else {
        panic!("{t:?}")
    };
    assert_eq!(
        reason,
        "wave 1: 2 of 2 clusters failed or timed out, more than max unavailable 0: c0 (offline), c1 (gate timeout)"
    );
}

#[rstest]
#[case::open_window_starts(State::Pending, None, vec![], "daily 01:00-05:00", Some(1))]
#[case::closed_window_holds_wave_one(State::Pending, None, vec![], "daily 06:00-07:00", None)]
#[case::closed_window_holds_the_next_wave(State::Progressing, Some(1), vec![Gate::Passed], "daily 22:00-02:00", None)]
#[case::open_window_across_midnight(State::Progressing, Some(1), vec![Gate::Passed], "daily 02:00-01:00", Some(2))]
fn windows_hold_wave_starts(
    #[case] state: State,
    #[case] wave: Option<u32>,
    #[case] g: Vec<Gate>,
    #[case] window: &str,
    #[case] starts: Option<u32>,
) {
    let mut p = pos(state, wave, 3, 0);
    p.window = Some(Window::parse(window).unwrap());
    let t = evaluate(&p, &gates(&g), false, NOW);
    match starts {
        Some(w) => assert_eq!(t, Transition::StartWave(w)),
        None => match t {
            Transition::Stay { waiting: Some(why) } => {
                assert!(why.contains("maintenance window"), "{why}")
            }
            other => panic!("expected to wait for the window, got {other:?}"),
        },
    }
}

#[test]
fn a_window_never_holds_a_pause() {
    let mut p = pos(State::Progressing, Some(1), 2, 0);
    p.window = Some(Window::parse("daily 06:00-07:00").unwrap());
    assert!(matches!(
        evaluate(&p, &gates(&[failed()]), false, NOW),
        Transition::Pause { .. }
    ));
}

#[rstest]
#[case(State::Pending, None, Command::Pause, Ok(State::Paused))]
#[case(State::Progressing, Some(1), Command::Pause, Ok(State::Paused))]
#[case(State::Paused, Some(1), Command::Pause, Err(()))]
#[case(State::Succeeded, Some(2), Command::Pause, Err(()))]
#[case(State::Paused, Some(1), Command::Resume, Ok(State::Progressing))]
#[case(State::Paused, None, Command::Resume, Ok(State::Pending))]
#[case(State::Progressing, Some(1), Command::Resume, Err(()))]
#[case(State::Failed, Some(1), Command::Resume, Err(()))]
#[case(State::Pending, None, Command::Abort, Ok(State::Failed))]
#[case(State::Progressing, Some(1), Command::Abort, Ok(State::Failed))]
#[case(State::Paused, Some(1), Command::Abort, Ok(State::Failed))]
#[case(State::Succeeded, Some(2), Command::Abort, Err(()))]
#[case(State::RolledBack, Some(1), Command::Abort, Err(()))]
#[case(State::Progressing, Some(1), Command::Rollback, Ok(State::RolledBack))]
#[case(State::Paused, Some(1), Command::Rollback, Ok(State::RolledBack))]
#[case(State::Failed, Some(1), Command::Rollback, Ok(State::RolledBack))]
#[case(State::Succeeded, Some(2), Command::Rollback, Ok(State::RolledBack))]
#[case(State::RolledBack, Some(2), Command::Rollback, Err(()))]
fn an_operator_command(
    #[case] state: State,
    #[case] wave: Option<u32>,
    #[case] cmd: Command,
    #[case] expect: Result<State, ()>,
) {
    match (command(7, state, wave, cmd), expect) {
        (Ok(got), Ok(want)) => assert_eq!(got, want),
        (Err(e), Err(())) => {
            let m = e.to_string();
            assert!(
                m.contains("rollout 7") && m.contains(state.as_str()) && m.contains(cmd.as_str()),
                "{m}"
            );
        }
        (got, want) => panic!("{state:?} {cmd:?}: got {got:?}, want {want:?}"),
    }
}
