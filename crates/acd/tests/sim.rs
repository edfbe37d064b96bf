//! The simulation drives the real engine on virtual time; a long run must agree with
//! Erlang C, and the same seed must give the same day.

use chrono::{TimeZone, Timelike, Utc};
use rexian_acd::sim::{
    SimConfig, TimeDistribution, agents_needed, erlang_b, erlang_c, erlang_c_asa,
    erlang_c_service_level, simulate,
};
use rexian_acd::{
    AcdConfig, CallOutcome, FigureFilter, FigureOptions, QueueConfig, QueueId, figures,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn erlang_formulas_match_hand_computed_values() {
    assert!(close(erlang_b(10, 8.0), 0.121_661, 1e-5));
    assert!(close(erlang_c(10, 8.0), 0.409_180, 1e-5));
    // M/M/2 at half load: a call waits with probability 1/3.
    assert!(close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12));
    assert!(close(erlang_c_asa(10, 8.0, 180.0), 36.826, 1e-3));
    assert!(close(
        erlang_c_service_level(10, 8.0, 180.0, 15.0),
        0.653_636,
        1e-5
    ));
    assert_eq!(erlang_c(5, 5.0), 1.0, "overloaded: everyone waits");
    assert_eq!(erlang_c(5, 0.0), 0.0);
    assert_eq!(erlang_c(0, f64::NAN), 0.0);
    assert_eq!(erlang_c_asa(5, 6.0, 180.0), f64::INFINITY);
    // 8 Erlangs at 180 s: 10 agents give 65.4% within 15 s, 11 give 80.9%, 13 give 95.0%.
    assert_eq!(agents_needed(8.0, 180.0, 15.0, 0.80), Some(11));
    assert_eq!(agents_needed(8.0, 180.0, 15.0, 0.90), Some(13));
}

fn erlang_config(seed: u64, hours: u32, calls_per_hour: f64, agents: u32) -> SimConfig {
    let mut q = QueueConfig::new(QueueId::new("general"), "综合");
    q.overflow_after_seconds = None;
    q.max_waiting = None;
    SimConfig {
        seed,
        start: Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
        hours,
        hourly_arrivals: SimConfig::flat(calls_per_hour),
        agents,
        agent_skills: Vec::new(),
        talk: TimeDistribution::Exponential {
            mean_seconds: 180.0,
        },
        patience: None,
        answer_delay_seconds: 0.0,
        acd: AcdConfig {
            wrap_up_seconds: 0,
            queues: vec![q],
            ..AcdConfig::default()
        },
    }
}

#[test]
fn a_long_run_agrees_with_erlang_c() {
    // 10 agents, 160 calls/h × 180 s = 8 Erlangs: Erlang C says 40.9% of calls wait and the
    // mean wait is 36.8 s.
    let out = simulate(&erlang_config(12345, 250, 160.0, 10)).unwrap();
    let n = out.records.len() as f64;
    assert!(n > 35_000.0, "{n} calls");
    assert!(
        out.records
            .iter()
            .all(|r| r.outcome == CallOutcome::Completed)
    );
    let waited = out.records.iter().filter(|r| r.wait_seconds > 0.0).count() as f64 / n;
    let asa = out.records.iter().map(|r| r.wait_seconds).sum::<f64>() / n;
    let expected = erlang_c(10, 8.0);
    assert!(
        close(waited, expected, 0.03),
        "P(wait) {waited:.4} vs Erlang C {expected:.4}"
    );
    let expected_asa = erlang_c_asa(10, 8.0, 180.0);
    assert!(
        close(asa, expected_asa, expected_asa * 0.2),
        "ASA {asa:.1} vs Erlang C {expected_asa:.1}"
    );
    // Occupancy ≈ A / N = 0.8.
    let f = figures(
        &out.records,
        &FigureFilter::default(),
        &FigureOptions {
            logged_in_seconds: Some(out.agent_logged_in_seconds),
            ..FigureOptions::default()
        },
    );
    let occupancy = f.occupancy.unwrap();
    assert!(close(occupancy, 0.8, 0.03), "occupancy {occupancy:.3}");
}

#[test]
fn the_same_seed_gives_the_same_day() {
    let mut cfg = erlang_config(7, 24, 30.0, 3);
    cfg.talk = TimeDistribution::LogNormal {
        mean_seconds: 200.0,
        sd_seconds: 120.0,
    };
    cfg.patience = Some(TimeDistribution::Exponential { mean_seconds: 60.0 });
    cfg.acd.wrap_up_seconds = 20;
    let a = simulate(&cfg).unwrap();
    let b = simulate(&cfg).unwrap();
    assert_eq!(a, b);
    cfg.seed = 8;
    let c = simulate(&cfg).unwrap();
    assert_ne!(a.records, c.records);
}

#[test]
fn hourly_profile_shapes_arrivals_and_patience_causes_abandons() {
    let mut cfg = erlang_config(99, 24 * 7, 0.0, 2);
    // Calls only from 08:00 to 18:00 Beijing time, 40 an hour: more than 2 agents can take.
    for h in 8..18 {
        cfg.hourly_arrivals[h] = 40.0;
    }
    cfg.talk = TimeDistribution::Exponential {
        mean_seconds: 240.0,
    };
    cfg.patience = Some(TimeDistribution::Exponential { mean_seconds: 45.0 });
    cfg.acd.queues[0].overflow_after_seconds = Some(120);
    let out = simulate(&cfg).unwrap();
    let n = out.records.len() as f64;
    // 7 days × 10 h × 40 = 2800 expected; Poisson sd ≈ 53.
    assert!(close(n, 2800.0, 4.0 * 53.0), "{n} calls");
    for r in &out.records {
        let local_hour = (r.arrived_at.hour() + 8) % 24;
        assert!((8..18).contains(&local_hour), "call at {}", r.arrived_at);
    }
    let count = |o: CallOutcome| out.records.iter().filter(|r| r.outcome == o).count();
    assert!(count(CallOutcome::Abandoned) > 100);
    assert!(count(CallOutcome::ShortAbandoned) > 10);
    assert!(count(CallOutcome::Completed) > 500);
    assert!(count(CallOutcome::Overflowed) > 0);
    let f = figures(
        &out.records,
        &FigureFilter::default(),
        &FigureOptions::default(),
    );
    assert_eq!(
        f.answered + f.abandoned + f.short_abandoned + f.overflowed,
        out.records.len() as u64
    );
    assert!(f.answer_rate.unwrap() < 0.8, "overloaded on purpose");
}

#[test]
fn bad_simulation_settings_are_refused() {
    let mut cfg = erlang_config(1, 1, 10.0, 1);
    cfg.talk = TimeDistribution::Exponential { mean_seconds: 0.0 };
    assert!(simulate(&cfg).is_err());
    let mut cfg = erlang_config(1, 1, 10.0, 1);
    cfg.hourly_arrivals[3] = f64::NAN;
    assert!(simulate(&cfg).is_err());
    let mut cfg = erlang_config(1, 1, 10.0, 1);
    cfg.acd.queues.clear();
    assert!(simulate(&cfg).is_err());
}
