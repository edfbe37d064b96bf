//! Property tests over random input sequences, valid and not: no call is lost, no agent holds
//! two calls, only ready agents are offered calls, refused inputs change nothing, and the
//! engine's counters equal what its records say.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rexian_acd::{
    AcdConfig, AgentId, AgentSkill, AgentState, BreakReason, CallId, CallOutcome, CallPhase,
    CallRecord, Command, Engine, ErrorKind, Event, ForcedState, HangupSide, Input, OfferResult,
    Output, Priority, QueueConfig, QueueId, RoutingStrategy, Satisfaction, Skill, SkillNeed,
    TransferTarget,
};

const AGENTS: u8 = 4;
const SKILLS: [&str; 2] = ["mandarin", "li"];
const QUEUES: [&str; 2] = ["general", "tourism"];

#[derive(Debug, Clone)]
enum Op {
    Arrive {
        queue: u8,
        need: Option<(u8, u8)>,
        priority: u8,
    },
    Abandon(u8),
    SignIn {
        agent: u8,
        skills: Vec<(u8, u8)>,
        queues: u8,
    },
    SignOut(u8),
    Ready(u8),
    NotReady(u8),
    Break(u8, u8),
    Force(u8, u8),
    /// Answer by the agent the call rings at (usually valid).
    Answer(u8),
    /// Answer by any agent (usually a conflict).
    AnswerBy(u8, u8),
    NoAnswer(u8),
    Transfer(u8, u8),
    End(u8, bool),
    WrapUpEnds(u8),
    Rate(u8, u8),
    Tick,
    /// An input older than the engine's time.
    Backwards,
}

fn op() -> impl Strategy<Value = Op> {
    let a = 0..AGENTS;
    prop_oneof![
        4 => (0..2u8, proptest::option::of((0..2u8, 1..=5u8)), 0..6u8)
            .prop_map(|(queue, need, priority)| Op::Arrive { queue, need, priority }),
        1 => any::<u8>().prop_map(Op::Abandon),
        2 => (a.clone(), agent_skills(), 0..4u8)
            .prop_map(|(agent, skills, queues)| Op::SignIn { agent, skills, queues }),
        1 => a.clone().prop_map(Op::SignOut),
        3 => a.clone().prop_map(Op::Ready),
        1 => a.clone().prop_map(Op::NotReady),
        1 => (a.clone(), 0..5u8).prop_map(|(x, r)| Op::Break(x, r)),
        1 => (a.clone(), 0..4u8).prop_map(|(x, s)| Op::Force(x, s)),
        4 => any::<u8>().prop_map(Op::Answer),
        1 => (any::<u8>(), a.clone()).prop_map(|(c, x)| Op::AnswerBy(c, x)),
        1 => any::<u8>().prop_map(Op::NoAnswer),
        1 => (any::<u8>(), 0..3u8).prop_map(|(c, k)| Op::Transfer(c, k)),
        3 => (any::<u8>(), any::<bool>()).prop_map(|(c, s)| Op::End(c, s)),
        1 => a.prop_map(Op::WrapUpEnds),
        1 => (any::<u8>(), 0..4u8).prop_map(|(c, r)| Op::Rate(c, r)),
        2 => Just(Op::Tick),
        1 => Just(Op::Backwards),
    ]
}

fn agent_skills() -> impl Strategy<Value = Vec<(u8, u8)>> {
    proptest::collection::vec((0..2u8, 1..=5u8), 0..3)
}

/// Mostly short gaps (rings get answered), sometimes long ones (timers fire).
fn gap_ms() -> impl Strategy<Value = i64> {
    prop_oneof![3 => 0..3_000i64, 1 => 0..20_000i64]
}

fn config() -> impl Strategy<Value = AcdConfig> {
    (
        0..4usize,
        prop_oneof![Just(0u32), Just(10)],
        proptest::option::of(prop_oneof![Just(0u32), Just(30), Just(90)]),
        proptest::option::of(0..3u32),
        prop_oneof![Just(0u32), Just(15)],
        any::<bool>(),
    )
        .prop_map(|(s, wrap, overflow, max_waiting, widen, no_agents)| {
            let strategies = [
                RoutingStrategy::LongestIdle,
                RoutingStrategy::FewestCalls,
                RoutingStrategy::RoundRobin,
                RoutingStrategy::SkillLevel,
            ];
            let queues = QUEUES
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let mut q = QueueConfig::new(QueueId::new(*id), id)
                        .with_strategy(strategies[(s + i) % 4]);
                    q.overflow_after_seconds = overflow;
                    q.max_waiting = max_waiting;
                    q.widen_after_seconds = widen;
                    q.overflow_when_no_agents = no_agents;
                    q
                })
                .collect();
            AcdConfig {
                ring_timeout_seconds: 8,
                wrap_up_seconds: wrap,
                short_abandon_seconds: 5,
                satisfaction_window_seconds: 60,
                queues,
            }
        })
}

fn agent_id(i: u8) -> AgentId {
    AgentId::new(format!("a{i}"))
}

struct World {
    engine: Engine,
    now: DateTime<Utc>,
    arrived: Vec<CallId>,
    records: Vec<CallRecord>,
    next_pid: u32,
}

impl World {
    fn pick(&self, i: u8) -> CallId {
        if self.arrived.is_empty() || i == 255 {
            CallId(100_000 + u64::from(i))
        } else {
            self.arrived[i as usize % self.arrived.len()]
        }
    }

    /// Mostly a live call in `phase` (so the input is likely valid), sometimes any call.
    fn pick_in(&self, i: u8, phase: CallPhase) -> CallId {
        let live: Vec<CallId> = self
            .engine
            .live_calls()
            .into_iter()
            .filter(|c| c.phase == phase)
            .map(|c| c.call)
            .collect();
        if i < 200 && !live.is_empty() {
            live[i as usize % live.len()]
        } else {
            self.pick(i)
        }
    }

    fn command(&mut self, op: &Op) -> Command {
        match op.clone() {
            Op::Arrive {
                queue,
                need,
                priority,
            } => {
                self.next_pid += 1;
                Command::CallArrives {
                    // Now and then a duplicate of a recent provincial id.
                    provincial_call_id: format!("P{}", self.next_pid - u32::from(priority == 5)),
                    caller: "13800000000".into(),
                    called: "12345".into(),
                    queue: QueueId::new(QUEUES[queue as usize]),
                    required_skill: need
                        .map(|(s, l)| SkillNeed::new(Skill::new(SKILLS[s as usize]), l)),
                    priority: [Priority::Normal, Priority::VipCallback, Priority::Urgent]
                        [priority as usize % 3],
                }
            }
            Op::Abandon(c) => Command::CallerAbandons { call: self.pick(c) },
            Op::SignIn {
                agent,
                skills,
                queues,
            } => Command::AgentSignsIn {
                agent: agent_id(agent),
                seat: None,
                skills: skills
                    .into_iter()
                    .map(|(s, l)| AgentSkill::new(Skill::new(SKILLS[s as usize]), l))
                    .collect(),
                queues: match queues {
                    1 => vec![QueueId::new("general")],
                    2 => vec![QueueId::new("tourism")],
                    _ => vec![],
                },
            },
            Op::SignOut(a) => Command::AgentSignsOut { agent: agent_id(a) },
            Op::Ready(a) => Command::AgentReady { agent: agent_id(a) },
            Op::NotReady(a) => Command::AgentNotReady { agent: agent_id(a) },
            Op::Break(a, r) => Command::AgentBreak {
                agent: agent_id(a),
                reason: BreakReason::ALL[r as usize % BreakReason::ALL.len()],
            },
            Op::Force(a, s) => Command::ForceAgentState {
                agent: agent_id(a),
                state: match s {
                    0 => ForcedState::Ready,
                    1 => ForcedState::NotReady,
                    2 => ForcedState::OnBreak {
                        reason: BreakReason::Training,
                    },
                    _ => ForcedState::SignedOut,
                },
                by: "leader".into(),
            },
            Op::Answer(c) => {
                let call = self.pick_in(c, CallPhase::Ringing);
                let agent = self
                    .engine
                    .call(call)
                    .and_then(|v| v.agent)
                    .unwrap_or_else(|| agent_id(0));
                Command::AgentAnswers { call, agent }
            }
            Op::AnswerBy(c, a) => Command::AgentAnswers {
                call: self.pick(c),
                agent: agent_id(a),
            },
            Op::NoAnswer(c) => {
                let call = self.pick_in(c, CallPhase::Ringing);
                let agent = self
                    .engine
                    .call(call)
                    .and_then(|v| v.agent)
                    .unwrap_or_else(|| agent_id(1));
                Command::RingNoAnswer { call, agent }
            }
            Op::Transfer(c, k) => Command::Transfer {
                call: self.pick_in(c, CallPhase::Talking),
                target: match k {
                    0 => TransferTarget::Department {
                        number: "0898-1".into(),
                    },
                    1 => TransferTarget::ThreeWay {
                        number: "0898-2".into(),
                    },
                    _ => TransferTarget::Province,
                },
            },
            Op::End(c, caller) => Command::CallEnds {
                call: self.pick_in(c, CallPhase::Talking),
                by: if caller {
                    HangupSide::Caller
                } else {
                    HangupSide::Agent
                },
            },
            Op::WrapUpEnds(a) => Command::WrapUpEnds { agent: agent_id(a) },
            Op::Rate(c, r) => Command::SatisfactionReported {
                call: self.pick_in(c, CallPhase::WrapUp),
                rating: Satisfaction::ALL[r as usize % Satisfaction::ALL.len()],
            },
            Op::Tick | Op::Backwards => unreachable!("not a command"),
        }
    }

    fn absorb(&mut self, out: &[Output]) -> Result<(), TestCaseError> {
        for o in out {
            prop_assert!(o.at <= self.now, "output from the future");
            match &o.event {
                Event::CallArrived { call, .. } => self.arrived.push(*call),
                Event::CallFinished { record } => self.records.push((**record).clone()),
                Event::AgentStateChanged {
                    from,
                    to: AgentState::Ringing { .. },
                    ..
                } => {
                    prop_assert_eq!(*from, AgentState::Ready, "offered to a non-ready agent");
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn step(&mut self, dt_ms: i64, op: &Op) -> Result<(), TestCaseError> {
        let mut out = Vec::new();
        match op {
            Op::Tick => {
                self.now += Duration::milliseconds(dt_ms * 3);
                self.engine
                    .tick(self.now, &mut out)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Backwards if self.engine.now().is_none() => {}
            Op::Backwards => {
                let before = self.engine.clone();
                let at = self.now - Duration::milliseconds(1 + dt_ms);
                let err = self
                    .engine
                    .apply(
                        Input::new(at, Command::AgentReady { agent: agent_id(0) }),
                        &mut out,
                    )
                    .unwrap_err();
                prop_assert_eq!(err.kind(), ErrorKind::OutOfOrder);
                prop_assert!(out.is_empty());
                prop_assert!(self.engine == before);
            }
            _ => {
                self.now += Duration::milliseconds(dt_ms);
                let command = self.command(op);
                let mut expected = self.engine.clone();
                expected
                    .tick(self.now, &mut Vec::new())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let result = self
                    .engine
                    .apply(Input::new(self.now, command.clone()), &mut out);
                if let Err(e) = result {
                    prop_assert!(
                        self.engine == expected,
                        "refused {:?} ({}) but changed the engine",
                        command,
                        e
                    );
                }
            }
        }
        self.absorb(&out)?;
        self.engine
            .check_invariants()
            .map_err(TestCaseError::fail)?;
        Ok(())
    }

    /// Ends every live call so all of them have records.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        // At the current time, so no timer fires in between.
        for listed in self.engine.live_calls() {
            let Some(view) = self.engine.call(listed.call) else {
                continue;
            };
            let command = match view.phase {
                CallPhase::Waiting | CallPhase::Ringing => {
                    Command::CallerAbandons { call: view.call }
                }
                CallPhase::Talking => Command::CallEnds {
                    call: view.call,
                    by: HangupSide::Agent,
                },
                CallPhase::WrapUp => continue,
            };
            let mut out = Vec::new();
            self.engine
                .apply(Input::new(self.now, command), &mut out)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            self.absorb(&out)?;
        }
        self.now += Duration::days(1);
        let mut out = Vec::new();
        self.engine
            .tick(self.now, &mut out)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        self.absorb(&out)?;
        self.engine
            .check_invariants()
            .map_err(TestCaseError::fail)?;
        Ok(())
    }
}

fn ms(seconds: f64) -> u64 {
    (seconds * 1000.0).round() as u64
}

fn check_records(w: &World) -> Result<(), TestCaseError> {
    // No call lost, none finished twice.
    prop_assert_eq!(w.engine.live_call_count(), 0);
    let arrived: HashSet<CallId> = w.arrived.iter().copied().collect();
    prop_assert_eq!(arrived.len(), w.arrived.len());
    let finished: HashSet<CallId> = w.records.iter().map(|r| r.call_id).collect();
    prop_assert_eq!(finished.len(), w.records.len(), "a call finished twice");
    prop_assert_eq!(&finished, &arrived);

    for r in &w.records {
        prop_assert_eq!(r.answered(), r.answered_at.is_some());
        prop_assert_eq!(r.answered(), r.agent.is_some());
        prop_assert_eq!(
            r.outcome == CallOutcome::Overflowed,
            r.overflow_reason.is_some()
        );
        let answered_offers: Vec<_> = r
            .offers
            .iter()
            .filter(|o| o.result == OfferResult::Answered)
            .collect();
        prop_assert_eq!(answered_offers.len(), usize::from(r.answered()));
        if r.answered() {
            prop_assert_eq!(r.offers.last().map(|o| &o.agent), r.agent.as_ref());
        }
        let mut t = r.arrived_at;
        for o in &r.offers {
            prop_assert!(o.offered_at >= t && o.ended_at >= o.offered_at);
            t = o.ended_at;
        }
        prop_assert!(r.ended_at >= t);
        prop_assert!(r.wait_seconds >= 0.0 && r.talk_seconds >= 0.0 && r.wrap_up_seconds >= 0.0);
        if let Some(w_end) = r.wrap_up_ended_at {
            prop_assert!(w_end >= r.ended_at);
        }
    }

    // Counters equal what the records say.
    for q in w.engine.queues(w.now) {
        let mine: Vec<&CallRecord> = w.records.iter().filter(|r| r.queue == q.id).collect();
        let count = |o: CallOutcome| mine.iter().filter(|r| r.outcome == o).count() as u64;
        let c = q.counters;
        prop_assert_eq!(c.arrived, mine.len() as u64);
        prop_assert_eq!(
            c.answered,
            mine.iter().filter(|r| r.answered()).count() as u64
        );
        prop_assert_eq!(c.completed, count(CallOutcome::Completed));
        prop_assert_eq!(c.transferred, count(CallOutcome::Transferred));
        prop_assert_eq!(c.abandoned, count(CallOutcome::Abandoned));
        prop_assert_eq!(c.short_abandoned, count(CallOutcome::ShortAbandoned));
        prop_assert_eq!(c.overflowed, count(CallOutcome::Overflowed));
        prop_assert_eq!(q.waiting + q.ringing + q.talking, 0);
    }
    let mut by_agent: HashMap<AgentId, rexian_acd::AgentCounters> = HashMap::new();
    for r in &w.records {
        for o in &r.offers {
            let c = by_agent.entry(o.agent.clone()).or_default();
            c.offered += 1;
            c.no_answer += u64::from(o.result == OfferResult::NoAnswer);
        }
        if let Some(a) = &r.agent {
            let c = by_agent.entry(a.clone()).or_default();
            c.answered += 1;
            match r.outcome {
                CallOutcome::Transferred => c.transferred += 1,
                _ => c.completed += 1,
            }
            c.talk_ms += ms(r.talk_seconds);
            c.wrap_up_ms += ms(r.wrap_up_seconds);
        }
    }
    for view in w.engine.agents(w.now) {
        let expected = by_agent.remove(&view.id).unwrap_or_default();
        prop_assert_eq!(view.counters, expected, "agent {}", view.id);
        prop_assert!(view.state.call().is_none());
    }
    prop_assert!(
        by_agent.is_empty(),
        "records name agents the engine never saw"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_keep_every_invariant(
        cfg in config(),
        skills in proptest::collection::vec(agent_skills(), AGENTS as usize),
        ops in proptest::collection::vec((gap_ms(), op()), 1..90),
    ) {
        let mut w = World {
            engine: Engine::new(cfg).unwrap(),
            now: Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
            arrived: Vec::new(),
            records: Vec::new(),
            next_pid: 0,
        };
        // Start with the agents signed in and ready, as a shift does.
        for (agent, skills) in skills.into_iter().enumerate() {
            let agent = agent as u8;
            w.step(0, &Op::SignIn { agent, skills, queues: agent % 3 })?;
            w.step(0, &Op::Ready(agent))?;
        }
        for (dt, op) in &ops {
            w.step(*dt, op)?;
        }
        w.drain()?;
        check_records(&w)?;
    }
}
