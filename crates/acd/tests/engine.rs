//! Scenario tests of the engine on injected time: each routing strategy, ring timeout,
//! wrap-up, breaks, skill widening, overflow, abandons, forced states, transfers and refusals.

mod common;

use common::*;
use rexian_acd::{
    AcdConfig, AgentState, BreakReason, CallOutcome, Command, ErrorKind, Event, ForcedState,
    HangupSide, NotReadyCause, OfferResult, OverflowReason, Priority, QueueConfig, QueueId,
    RoutingStrategy, Satisfaction, TransferTarget,
};

/// Answers and ends `call` at once: the agent is ready again right away (no wrap-up).
fn talk(h: &mut Harness, secs: f64, call: rexian_acd::CallId, who: &str) {
    h.answer(secs, call, who);
    h.hang_up(secs + 1.0, call);
}

#[test]
fn longest_idle_rings_the_agent_ready_longest_then_rotates_by_idle_time() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(1.0, "B", &[]);
    h.sign_in_ready(2.0, "C", &[]);
    let (c1, ev) = h.arrive(10.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("A"));
    talk(&mut h, 11.0, c1, "A"); // A ready again at 12
    let (c2, ev) = h.arrive(20.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    talk(&mut h, 21.0, c2, "B");
    let (_, ev) = h.arrive(30.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("C"));
    let (_, ev) = h.arrive(31.0);
    assert_eq!(
        offered_agent(&ev).as_deref(),
        Some("A"),
        "A idle since 12, B since 22"
    );
}

#[test]
fn fewest_calls_prefers_the_agent_with_fewest_answered_today() {
    let mut h = Harness::new(config(RoutingStrategy::FewestCalls));
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(0.0, "B", &[]);
    h.sign_in_ready(0.0, "C", &[]);
    // Ties (same count, same idle-since) fall to sign-in order.
    let (c, ev) = h.arrive(1.0);
    assert_eq!(
        offered_agent(&ev).as_deref(),
        Some("A"),
        "all at 0 calls: longest idle, A"
    );
    talk(&mut h, 2.0, c, "A");
    let (c, ev) = h.arrive(4.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    talk(&mut h, 5.0, c, "B");
    let (c, ev) = h.arrive(7.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("C"));
    talk(&mut h, 8.0, c, "C");
    let (c, ev) = h.arrive(10.0);
    // All have one call; A has been idle longest (since 3).
    assert_eq!(offered_agent(&ev).as_deref(), Some("A"));
    talk(&mut h, 11.0, c, "A");
    // Now A 2, B 1, C 1: B (idle since 6), then C (since 9), and only then A.
    let (_, ev) = h.arrive(20.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    let (_, ev) = h.arrive(21.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("C"));
    let (_, ev) = h.arrive(22.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("A"));
}

#[test]
fn round_robin_follows_sign_in_order_not_idle_time() {
    let mut h = Harness::new(config(RoutingStrategy::RoundRobin));
    h.sign_in(0.0, "A", &[]);
    h.sign_in(0.0, "B", &[]);
    h.sign_in(0.0, "C", &[]);
    // Ready in reverse order: longest idle would pick C first.
    h.ready(1.0, "C");
    h.ready(2.0, "B");
    h.ready(3.0, "A");
    let mut got = Vec::new();
    for i in 0..3 {
        let (c, ev) = h.arrive(10.0 + f64::from(i) * 10.0);
        let who = offered_agent(&ev).expect("offered");
        talk(&mut h, 11.0 + f64::from(i) * 10.0, c, &who);
        got.push(who);
    }
    assert_eq!(got, ["A", "B", "C"]);
    // After C the pointer wraps around; with A busy it lands on B, then C.
    h.apply(45.0, Command::AgentNotReady { agent: agent("A") });
    let (_, ev) = h.arrive(50.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    let (_, ev) = h.arrive(51.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("C"));
}

#[test]
fn skill_level_strategy_picks_the_highest_level_and_others_the_longest_idle_skilled() {
    for (strategy, expected) in [
        (RoutingStrategy::SkillLevel, "B"),
        (RoutingStrategy::LongestIdle, "A"),
    ] {
        let mut h = Harness::new(config(strategy));
        h.sign_in_ready(0.0, "C", &[("mandarin", 5)]);
        h.sign_in_ready(1.0, "A", &[("li", 2), ("mandarin", 3)]);
        h.sign_in_ready(2.0, "B", &[("li", 4)]);
        let (_, ev) = h.arrive_with(10.0, Some(("li", 1)), Priority::Normal);
        assert_eq!(
            offered_agent(&ev).as_deref(),
            Some(expected),
            "{strategy:?}"
        );
        // A call without a need goes to the longest idle of the rest: C.
        let (_, ev) = h.arrive(11.0);
        assert_eq!(offered_agent(&ev).as_deref(), Some("C"), "{strategy:?}");
    }
}

#[test]
fn minimum_skill_level_is_respected() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[("hainanese", 2)]);
    h.sign_in_ready(1.0, "B", &[("hainanese", 3)]);
    let (_, ev) = h.arrive_with(5.0, Some(("hainanese", 3)), Priority::Normal);
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
}

#[test]
fn skill_need_widens_to_everyone_after_the_configured_wait() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.queues[0].widen_after_seconds = 20;
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "M", &[("mandarin", 5)]);
    let (call, ev) = h.arrive_with(10.0, Some(("li", 1)), Priority::Normal);
    assert!(
        offers(&ev).is_empty(),
        "no Li speaker ready: the call waits"
    );
    assert!(matches!(ev.last(), Some(Event::CallQueued { .. })));
    assert_eq!(
        h.engine.next_deadline(),
        Some(at(30.0)),
        "widening is the next timer"
    );
    let ev = h.tick(29.999);
    assert!(ev.is_empty());
    let ev = h.tick(30.0);
    assert_eq!(ev[0], Event::CallWidened { call });
    assert_eq!(offered_agent(&ev).as_deref(), Some("M"));
    h.answer(31.0, call, "M");
    h.hang_up(40.0, call);
    let r = h.record(call);
    assert_eq!(r.widened_at, Some(at(30.0)));
    assert_eq!(r.wait_seconds, 21.0);
}

#[test]
fn a_skilled_agent_who_becomes_ready_before_widening_takes_the_call() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "M", &[("mandarin", 5)]);
    h.sign_in(0.0, "L", &[("li", 1)]);
    let (call, _) = h.arrive_with(10.0, Some(("li", 1)), Priority::Normal);
    let ev = h.ready(15.0, "L");
    assert_eq!(offers(&ev), vec![(call, agent("L"))]);
    h.answer(16.0, call, "L");
    h.hang_up(20.0, call);
    assert_eq!(h.record(call).widened_at, None);
}

#[test]
fn priority_calls_go_first_then_arrival_order() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in(0.0, "A", &[]);
    let (normal1, _) = h.arrive(1.0);
    let (normal2, _) = h.arrive(2.0);
    let (vip, _) = h.arrive_with(3.0, None, Priority::VipCallback);
    let (urgent, _) = h.arrive_with(4.0, None, Priority::Urgent);
    let mut order = Vec::new();
    let mut t = 10.0;
    let ev = h.ready(t, "A");
    let mut next = offers(&ev);
    while let Some((call, _)) = next.pop() {
        order.push(call);
        h.answer(t + 1.0, call, "A");
        let ev = h.hang_up(t + 2.0, call);
        next = offers(&ev);
        t += 10.0;
    }
    assert_eq!(order, vec![urgent, vip, normal1, normal2]);
}

#[test]
fn ring_timeout_sets_the_agent_not_ready_and_offers_the_next_agent() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(1.0, "B", &[]);
    let (call, ev) = h.arrive(10.0);
    assert_eq!(offered_agent(&ev).as_deref(), Some("A"));
    assert_eq!(h.engine.next_deadline(), Some(at(25.0)));
    let ev = h.tick(25.0);
    assert!(ev.contains(&Event::OfferEnded {
        call,
        agent: agent("A"),
        result: OfferResult::NoAnswer
    }));
    assert!(ev.contains(&Event::AgentStateChanged {
        agent: agent("A"),
        from: AgentState::Ringing { call },
        to: AgentState::NotReady {
            cause: NotReadyCause::NoAnswer
        },
        forced_by: None,
    }));
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    // B lets it ring out too: nobody is ready, the call waits; A is not offered again.
    let ev = h.tick(40.0);
    assert!(offers(&ev).is_empty());
    assert!(matches!(ev.last(), Some(Event::CallQueued { .. })));
    // A says ready and gets it.
    let ev = h.ready(45.0, "A");
    assert_eq!(offers(&ev), vec![(call, agent("A"))]);
    h.answer(47.0, call, "A");
    h.hang_up(100.0, call);
    let r = h.record(call);
    let results: Vec<_> = r
        .offers
        .iter()
        .map(|o| (o.agent.0.as_str(), o.result))
        .collect();
    assert_eq!(
        results,
        [
            ("A", OfferResult::NoAnswer),
            ("B", OfferResult::NoAnswer),
            ("A", OfferResult::Answered)
        ]
    );
    assert_eq!(r.offers[0].offered_at, at(10.0));
    assert_eq!(r.offers[0].ended_at, at(25.0));
    assert_eq!(r.wait_seconds, 37.0);
    assert_eq!(r.talk_seconds, 53.0);
    let a = h.engine.agent(&agent("A"), at(100.0)).unwrap();
    assert_eq!(a.counters.offered, 2);
    assert_eq!(a.counters.no_answer, 1);
    assert_eq!(a.counters.answered, 1);
}

#[test]
fn telephony_reported_no_answer_acts_like_the_timeout() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(1.0, "B", &[]);
    let (call, _) = h.arrive(10.0);
    let ev = h.apply(
        12.0,
        Command::RingNoAnswer {
            call,
            agent: agent("A"),
        },
    );
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    // The old ring timer is gone: nothing fires at 25 s for A.
    assert_eq!(h.engine.next_deadline(), Some(at(27.0)));
}

#[test]
fn wrap_up_keeps_the_agent_from_calls_until_it_ends_or_is_ended_early() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.wrap_up_seconds = 30;
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "A", &[]);
    let (c1, _) = h.arrive(10.0);
    h.answer(12.0, c1, "A");
    let ev = h.hang_up(72.0, c1);
    assert!(ev.contains(&Event::AgentStateChanged {
        agent: agent("A"),
        from: AgentState::OnCall { call: c1 },
        to: AgentState::WrapUp { call: c1 },
        forced_by: None,
    }));
    assert!(h.records.is_empty(), "the record waits for the wrap-up");
    let (c2, ev) = h.arrive(80.0);
    assert!(offers(&ev).is_empty(), "agent in wrap-up is not offered");
    let ev = h.tick(102.0);
    assert_eq!(offers(&ev), vec![(c2, agent("A"))]);
    let r = h.record(c1);
    assert_eq!(r.outcome, CallOutcome::Completed);
    assert_eq!(
        (r.wait_seconds, r.talk_seconds, r.wrap_up_seconds),
        (2.0, 60.0, 30.0)
    );
    assert_eq!(r.wrap_up_ended_at, Some(at(102.0)));
    assert_eq!(r.ended_by, Some(HangupSide::Caller));
    // Second call: wrap-up ended early after 5 s.
    h.answer(103.0, c2, "A");
    h.apply(
        110.0,
        Command::CallEnds {
            call: c2,
            by: HangupSide::Agent,
        },
    );
    h.apply(115.0, Command::WrapUpEnds { agent: agent("A") });
    let r = h.record(c2);
    assert_eq!(r.wrap_up_seconds, 5.0);
    assert_eq!(r.ended_by, Some(HangupSide::Agent));
    assert_eq!(
        h.engine.next_deadline(),
        None,
        "the wrap-up timer was cancelled"
    );
}

#[test]
fn queue_wrap_up_overrides_the_engine_default() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.wrap_up_seconds = 30;
    cfg.queues[0].wrap_up_seconds = Some(10);
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "A", &[]);
    let (c, _) = h.arrive(1.0);
    h.answer(2.0, c, "A");
    h.hang_up(3.0, c);
    assert_eq!(h.engine.next_deadline(), Some(at(13.0)));
}

#[test]
fn agents_on_break_are_not_offered_and_break_ends_wrap_up() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.wrap_up_seconds = 30;
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "A", &[]);
    h.apply(
        1.0,
        Command::AgentBreak {
            agent: agent("A"),
            reason: BreakReason::Meal,
        },
    );
    let (call, ev) = h.arrive(5.0);
    assert!(offers(&ev).is_empty());
    let ev = h.ready(65.0, "A");
    assert_eq!(offers(&ev), vec![(call, agent("A"))]);
    h.answer(66.0, call, "A");
    h.hang_up(70.0, call);
    // Going on break from wrap-up ends the wrap-up and finishes the record.
    h.apply(
        75.0,
        Command::AgentBreak {
            agent: agent("A"),
            reason: BreakReason::Restroom,
        },
    );
    assert_eq!(h.record(call).wrap_up_seconds, 5.0);
    let view = h.engine.agent(&agent("A"), at(80.0)).unwrap();
    assert_eq!(
        view.state,
        AgentState::OnBreak {
            reason: BreakReason::Restroom
        }
    );
    assert_eq!(view.state_label_zh, "小休（如厕）");
    assert_eq!(view.time_in_state.on_break_ms, 64_000 + 5_000);
    assert_eq!(view.time_in_state.on_call_ms, 4_000);
    assert_eq!(view.time_in_state.logged_in_ms(), 80_000);
}

#[test]
fn overflow_after_the_configured_wait() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.queues[0].overflow_after_seconds = Some(60);
    let mut h = Harness::new(cfg);
    h.sign_in(0.0, "A", &[]); // signed in but not ready
    let (call, _) = h.arrive(10.0);
    let ev = h.tick(70.0);
    assert_eq!(
        ev[0],
        Event::CallOverflowed {
            call,
            reason: OverflowReason::WaitTooLong,
            wait_seconds: 60.0
        }
    );
    let r = h.record(call);
    assert_eq!(r.outcome, CallOutcome::Overflowed);
    assert_eq!(r.overflow_reason, Some(OverflowReason::WaitTooLong));
    assert_eq!(r.ended_at, at(70.0));
}

#[test]
fn a_ringing_call_past_its_overflow_time_overflows_when_the_ring_fails() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.queues[0].overflow_after_seconds = Some(20);
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(0.0, "B", &[]);
    let (call, _) = h.arrive(10.0); // rings A until 25; overflow due at 30
    let ev = h.tick(25.0);
    assert_eq!(
        offered_agent(&ev).as_deref(),
        Some("B"),
        "still time: next agent"
    );
    let ev = h.tick(40.0); // B's ring ends at 40, after the overflow time
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::CallOverflowed {
            reason: OverflowReason::WaitTooLong,
            ..
        }
    )));
    assert_eq!(h.record(call).offers.len(), 2);
}

#[test]
fn overflow_at_once_when_the_queue_is_full() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.queues[0].max_waiting = Some(2);
    let mut h = Harness::new(cfg);
    h.sign_in(0.0, "A", &[]);
    h.arrive(1.0);
    h.arrive(2.0);
    let (third, ev) = h.arrive(3.0);
    assert!(ev.contains(&Event::CallOverflowed {
        call: third,
        reason: OverflowReason::QueueFull,
        wait_seconds: 0.0
    }));
    assert_eq!(h.engine.queues(at(3.0))[0].waiting, 2);
    assert_eq!(h.record(third).outcome, CallOutcome::Overflowed);
}

#[test]
fn overflow_when_no_agent_is_signed_in() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    let (night_call, ev) = h.arrive(1.0);
    assert!(ev.contains(&Event::CallOverflowed {
        call: night_call,
        reason: OverflowReason::NoAgents,
        wait_seconds: 0.0
    }));
    // The last agent signing out sends the waiting calls back too.
    h.sign_in(10.0, "A", &[]);
    let (c1, _) = h.arrive(11.0);
    let (c2, _) = h.arrive(12.0);
    h.apply(20.0, Command::AgentSignsOut { agent: agent("A") });
    for c in [c1, c2] {
        assert_eq!(h.record(c).overflow_reason, Some(OverflowReason::NoAgents));
    }
    assert_eq!(h.engine.live_call_count(), 0);
}

#[test]
fn abandons_are_short_under_the_threshold_and_keep_their_wait() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in(0.0, "A", &[]);
    let (quick, _) = h.arrive(10.0);
    let (slow, _) = h.arrive(11.0);
    let (edge, _) = h.arrive(12.0);
    let ev = h.apply(14.999, Command::CallerAbandons { call: quick });
    assert!(ev.contains(&Event::CallAbandoned {
        call: quick,
        short: true,
        wait_seconds: 4.999
    }));
    h.apply(17.0, Command::CallerAbandons { call: edge });
    h.apply(
        41.0,
        Command::CallEnds {
            call: slow,
            by: HangupSide::Caller,
        },
    );
    assert_eq!(h.record(quick).outcome, CallOutcome::ShortAbandoned);
    assert_eq!(
        h.record(edge).outcome,
        CallOutcome::Abandoned,
        "5 s exactly is not short"
    );
    let r = h.record(slow);
    assert_eq!(r.outcome, CallOutcome::Abandoned);
    assert_eq!(r.wait_seconds, 30.0);
    let q = &h.engine.queues(at(41.0))[0];
    assert_eq!((q.counters.abandoned, q.counters.short_abandoned), (2, 1));
}

#[test]
fn abandon_while_ringing_frees_the_agent_for_the_next_call() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    let (first, _) = h.arrive(10.0);
    let (second, _) = h.arrive(11.0);
    let ev = h.apply(20.0, Command::CallerAbandons { call: first });
    assert_eq!(offers(&ev), vec![(second, agent("A"))]);
    let r = h.record(first);
    assert_eq!(r.offers[0].result, OfferResult::CallerAbandoned);
    assert_eq!(r.outcome, CallOutcome::Abandoned);
    let a = h.engine.agent(&agent("A"), at(20.0)).unwrap();
    assert_eq!(a.counters.no_answer, 0, "not the agent's fault");
}

#[test]
fn shift_leader_forces_states_and_a_ringing_offer_moves_on() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(1.0, "B", &[]);
    let (call, _) = h.arrive(10.0);
    let ev = h.apply(
        12.0,
        Command::ForceAgentState {
            agent: agent("A"),
            state: ForcedState::OnBreak {
                reason: BreakReason::Meeting,
            },
            by: "leader-1".into(),
        },
    );
    assert!(ev.contains(&Event::AgentStateChanged {
        agent: agent("A"),
        from: AgentState::Ringing { call },
        to: AgentState::OnBreak {
            reason: BreakReason::Meeting
        },
        forced_by: Some("leader-1".into()),
    }));
    assert_eq!(offered_agent(&ev).as_deref(), Some("B"));
    h.answer(13.0, call, "B");
    let err = h
        .try_apply(
            14.0,
            Command::ForceAgentState {
                agent: agent("B"),
                state: ForcedState::SignedOut,
                by: "leader-1".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "never cut a live call");
    h.hang_up(20.0, call);
    h.apply(
        21.0,
        Command::ForceAgentState {
            agent: agent("B"),
            state: ForcedState::SignedOut,
            by: "leader-1".into(),
        },
    );
    assert_eq!(
        h.record(call).offers[0].result,
        OfferResult::Withdrawn,
        "A's ring was taken back"
    );
    let b = h.engine.agent(&agent("B"), at(21.0)).unwrap();
    assert_eq!(b.state, AgentState::SignedOut);
}

#[test]
fn transfers_blind_and_three_way() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.wrap_up_seconds = 10;
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "A", &[]);
    let (blind, _) = h.arrive(1.0);
    h.answer(2.0, blind, "A");
    let ev = h.apply(
        30.0,
        Command::Transfer {
            call: blind,
            target: TransferTarget::Department {
                number: "0898-27722345".into(),
            },
        },
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::AgentStateChanged {
            to: AgentState::WrapUp { .. },
            ..
        }
    )));
    h.tick(40.0);
    let r = h.record(blind);
    assert_eq!(r.outcome, CallOutcome::Transferred);
    assert_eq!((r.talk_seconds, r.wrap_up_seconds), (28.0, 10.0));
    assert_eq!(r.transfers.len(), 1);

    let (conf, _) = h.arrive(50.0);
    h.answer(51.0, conf, "A");
    let ev = h.apply(
        60.0,
        Command::Transfer {
            call: conf,
            target: TransferTarget::ThreeWay {
                number: "0898-27720000".into(),
            },
        },
    );
    assert!(
        !ev.iter()
            .any(|e| matches!(e, Event::AgentStateChanged { .. })),
        "agent stays on"
    );
    h.hang_up(90.0, conf);
    h.tick(100.0);
    let r = h.record(conf);
    assert_eq!(r.outcome, CallOutcome::Completed);
    assert_eq!(r.transfers[0].target.code(), "three_way");
    assert_eq!(r.talk_seconds, 39.0);
    let a = h.engine.agent(&agent("A"), at(100.0)).unwrap();
    assert_eq!((a.counters.transferred, a.counters.completed), (1, 1));
}

#[test]
fn refusals_name_their_kind_and_change_nothing() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    h.sign_in_ready(0.0, "B", &[]);
    let (call, _) = h.arrive(10.0); // rings A
    h.tick(11.0);
    let before = h.engine.clone();
    let cases: Vec<(f64, Command, ErrorKind)> = vec![
        (
            11.0,
            Command::CallerAbandons {
                call: rexian_acd::CallId(999),
            },
            ErrorKind::Unknown,
        ),
        (
            11.0,
            Command::AgentReady {
                agent: agent("nobody"),
            },
            ErrorKind::Unknown,
        ),
        (
            11.0,
            Command::AgentAnswers {
                call,
                agent: agent("B"),
            },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::CallEnds {
                call,
                by: HangupSide::Agent,
            },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::Transfer {
                call,
                target: TransferTarget::Province,
            },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::AgentReady { agent: agent("B") },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::WrapUpEnds { agent: agent("A") },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::SatisfactionReported {
                call,
                rating: Satisfaction::Satisfied,
            },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::AgentSignsIn {
                agent: agent("A"),
                seat: None,
                skills: vec![],
                queues: vec![],
            },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::AgentSignsIn {
                agent: agent("Z"),
                seat: None,
                skills: vec![],
                queues: vec![QueueId::new("nope")],
            },
            ErrorKind::Unknown,
        ),
        (
            11.0,
            Command::AgentSignsIn {
                agent: agent("Z"),
                seat: None,
                skills: vec![rexian_acd::AgentSkill::new(rexian_acd::Skill::li(), 9)],
                queues: vec![],
            },
            ErrorKind::Invalid,
        ),
        (
            11.0,
            Command::CallArrives {
                provincial_call_id: "HN12345-000001".into(),
                caller: "1".into(),
                called: String::new(),
                queue: QueueId::new("general"),
                required_skill: None,
                priority: Priority::Normal,
            },
            ErrorKind::Conflict,
        ),
        (
            11.0,
            Command::CallArrives {
                provincial_call_id: "x".into(),
                caller: "1".into(),
                called: String::new(),
                queue: QueueId::new("tourism"),
                required_skill: None,
                priority: Priority::Normal,
            },
            ErrorKind::Unknown,
        ),
        (
            11.0,
            Command::CallArrives {
                provincial_call_id: " ".into(),
                caller: "1".into(),
                called: String::new(),
                queue: QueueId::new("general"),
                required_skill: None,
                priority: Priority::Normal,
            },
            ErrorKind::Invalid,
        ),
        (
            9.0,
            Command::AgentAnswers {
                call,
                agent: agent("A"),
            },
            ErrorKind::OutOfOrder,
        ),
        (
            -1.0e9,
            Command::AgentReady { agent: agent("A") },
            ErrorKind::Invalid,
        ),
    ];
    for (secs, command, kind) in cases {
        let err = h.try_apply(secs, command.clone()).unwrap_err();
        assert_eq!(err.kind(), kind, "{command:?}: {err}");
        assert!(h.engine == before, "{command:?} changed the engine");
    }
    // The call is still ringing at A and can be answered.
    h.answer(12.0, call, "A");
}

#[test]
fn a_timer_due_before_a_late_input_fires_first() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[]);
    let (call, _) = h.arrive(10.0);
    // The answer comes after the 15 s ring timeout: the timeout wins, the answer is refused,
    // and the timeout's outputs are still delivered.
    let len_before = h.outputs.len();
    let err = h
        .try_apply(
            30.0,
            Command::AgentAnswers {
                call,
                agent: agent("A"),
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let fired: Vec<_> = h.outputs[len_before..].iter().map(|o| o.at).collect();
    assert!(!fired.is_empty() && fired.iter().all(|t| *t == at(25.0)));
    assert_eq!(
        h.engine.agent(&agent("A"), at(30.0)).unwrap().state,
        AgentState::NotReady {
            cause: NotReadyCause::NoAnswer
        }
    );
}

#[test]
fn satisfaction_is_recorded_during_wrap_up_or_afterwards_once() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    cfg.wrap_up_seconds = 20;
    let mut h = Harness::new(cfg);
    h.sign_in_ready(0.0, "A", &[]);
    let (c1, _) = h.arrive(1.0);
    h.answer(2.0, c1, "A");
    h.hang_up(30.0, c1);
    h.apply(
        35.0,
        Command::SatisfactionReported {
            call: c1,
            rating: Satisfaction::BasicallySatisfied,
        },
    );
    h.tick(50.0);
    assert_eq!(
        h.record(c1).satisfaction,
        Some(Satisfaction::BasicallySatisfied)
    );
    let again = h.try_apply(
        51.0,
        Command::SatisfactionReported {
            call: c1,
            rating: Satisfaction::Satisfied,
        },
    );
    assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);

    let (c2, _) = h.arrive(60.0);
    h.answer(61.0, c2, "A");
    h.hang_up(70.0, c2);
    h.tick(90.0);
    let ev = h.apply(
        95.0,
        Command::SatisfactionReported {
            call: c2,
            rating: Satisfaction::Dissatisfied,
        },
    );
    assert_eq!(
        ev,
        vec![Event::SatisfactionRecorded {
            call: c2,
            agent: Some(agent("A")),
            rating: Satisfaction::Dissatisfied
        }]
    );
    assert_eq!(
        h.record(c2).satisfaction,
        None,
        "the store applies the late rating"
    );

    let (c3, _) = h.arrive(100.0);
    h.apply(120.0, Command::CallerAbandons { call: c3 });
    let err = h.try_apply(
        121.0,
        Command::SatisfactionReported {
            call: c3,
            rating: Satisfaction::Satisfied,
        },
    );
    assert_eq!(
        err.unwrap_err().kind(),
        ErrorKind::Conflict,
        "an abandoned call is not rated"
    );
    // Past the window the call is forgotten.
    let err = h.try_apply(
        2000.0,
        Command::SatisfactionReported {
            call: c2,
            rating: Satisfaction::Satisfied,
        },
    );
    assert_eq!(err.unwrap_err().kind(), ErrorKind::Unknown);
}

#[test]
fn queue_and_agent_views_for_the_wall_board() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[("li", 3)]);
    h.sign_in(0.0, "B", &[]);
    let (c1, _) = h.arrive(10.0);
    h.answer(11.0, c1, "A");
    h.arrive(12.0);
    h.arrive(15.0);
    let q = &h.engine.queues(at(40.0))[0];
    assert_eq!((q.waiting, q.ringing, q.talking), (2, 0, 1));
    assert_eq!(q.longest_wait_seconds, 28.0);
    assert_eq!((q.signed_in_agents, q.ready_agents), (2, 0));
    assert_eq!(q.counters.arrived, 3);
    let calls = h.engine.live_calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(h.engine.call_id_by_provincial("HN12345-000001"), Some(c1));
    let v = h.engine.agent(&agent("A"), at(40.0)).unwrap();
    assert_eq!(v.answered_today, 1);
    assert_eq!(v.skills[0].skill.label_zh(), "黎语");
}

#[test]
fn records_and_events_serialize_with_stable_snake_case_codes() {
    let mut h = Harness::new(config(RoutingStrategy::LongestIdle));
    h.sign_in_ready(0.0, "A", &[("li", 1)]);
    let (c, _) = h.arrive_with(1.0, Some(("li", 1)), Priority::Urgent);
    h.answer(3.0, c, "A");
    h.hang_up(9.0, c);
    let json = serde_json::to_value(h.record(c)).unwrap();
    assert_eq!(json["outcome"], "completed");
    assert_eq!(json["priority"], "urgent");
    assert_eq!(json["offers"][0]["result"], "answered");
    assert_eq!(json["required_skill"]["skill"], "li");
    assert_eq!(json["wait_seconds"], 2.0);
    let back: rexian_acd::CallRecord = serde_json::from_value(json).unwrap();
    assert_eq!(&back, h.record(c));
    let ev = serde_json::to_value(&h.outputs[0]).unwrap();
    assert_eq!(ev["event"]["type"], "agent_state_changed");
    assert_eq!(ev["event"]["to"]["state"], "not_ready");
    let cmd: Command = serde_json::from_str(
        r#"{"type":"call_arrives","provincial_call_id":"P1","caller":"138","queue":"general"}"#,
    )
    .unwrap();
    assert!(matches!(
        cmd,
        Command::CallArrives {
            priority: Priority::Normal,
            ..
        }
    ));
}

#[test]
fn config_loads_from_toml_with_defaults_and_is_validated() {
    let cfg: AcdConfig = toml::from_str(
        r#"
        ring_timeout_seconds = 20
        [[queues]]
        id = "general"
        name_zh = "综合咨询"
        strategy = "skill_level"
        overflow_after_seconds = 90
        [[queues]]
        id = "tourism"
        name_zh = "旅游投诉"
        "#,
    )
    .unwrap();
    assert_eq!(cfg.wrap_up_seconds, 30);
    assert_eq!(cfg.queues[0].strategy, RoutingStrategy::SkillLevel);
    assert_eq!(cfg.queues[1].max_waiting, Some(10));
    assert!(cfg.validate().is_ok());
    let mut dup = cfg.clone();
    dup.queues[1].id = QueueId::new("general");
    assert!(dup.validate().is_err());
    let none = AcdConfig {
        queues: vec![],
        ..AcdConfig::default()
    };
    assert!(rexian_acd::Engine::new(none).is_err());
    let zero_ring = AcdConfig {
        ring_timeout_seconds: 0,
        ..AcdConfig::default()
    };
    assert!(zero_ring.validate().is_err());
    let q = QueueConfig::default();
    assert_eq!(q.overflow_after_seconds, Some(60));
}

#[test]
fn calls_only_go_to_agents_of_their_queue() {
    let mut cfg = config(RoutingStrategy::LongestIdle);
    let mut tourism = QueueConfig::new(QueueId::new("tourism"), "旅游");
    tourism.overflow_after_seconds = None;
    cfg.queues.push(tourism);
    let mut h = Harness::new(cfg);
    h.apply(
        0.0,
        Command::AgentSignsIn {
            agent: agent("T"),
            seat: None,
            skills: vec![],
            queues: vec![QueueId::new("tourism")],
        },
    );
    h.ready(0.0, "T");
    h.sign_in(0.0, "G", &[]); // serves every queue, not ready yet
    let (call, ev) = h.arrive(1.0); // general
    assert!(offers(&ev).is_empty(), "T serves only tourism");
    let ev = h.ready(2.0, "G");
    assert_eq!(offers(&ev), vec![(call, agent("G"))]);
}
