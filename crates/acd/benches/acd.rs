//! Engine benchmarks (targets from issue 4):
//! - a routing decision with 1,000 agents and 500 waiting calls: under 10 µs;
//! - raw event throughput: at least 1,000,000 call events per second.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-acd cargo bench -p rexian-acd --bench acd`

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rexian_acd::{
    AcdConfig, AgentId, AgentSkill, CallId, Command, Engine, Event, HangupSide, Input, Output,
    Priority, QueueConfig, QueueId, Skill, SkillNeed,
};

const SKILLS: [&str; 5] = ["mandarin", "hainanese", "li", "biz_tourism", "biz_social"];

fn config(wrap_up_seconds: u32) -> AcdConfig {
    let mut q = QueueConfig::new(QueueId::new("general"), "综合");
    q.overflow_after_seconds = None;
    q.max_waiting = None;
    q.widen_after_seconds = 86_400;
    AcdConfig {
        wrap_up_seconds,
        queues: vec![q],
        ..AcdConfig::default()
    }
}

/// Virtual time, moving `step_ms` per input.
struct Clock {
    now: DateTime<Utc>,
    step_ms: i64,
}

impl Clock {
    fn new(step_ms: i64) -> Self {
        Clock {
            now: Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
            step_ms,
        }
    }

    fn next(&mut self) -> DateTime<Utc> {
        self.now += Duration::milliseconds(self.step_ms);
        self.now
    }
}

fn apply(engine: &mut Engine, at: DateTime<Utc>, command: Command, out: &mut Vec<Output>) {
    engine
        .apply(Input::new(at, command), out)
        .expect("bench input accepted");
}

fn agent(i: usize) -> AgentId {
    AgentId::new(format!("{:05}", 10_000 + i))
}

/// 1,000 agents signed in with two skills each (levels 1–5); 500 calls waiting, half of them
/// needing a skill, a tenth of them urgent. `ready` agents (those with no Li) are ready.
fn busy_centre(clock: &mut Clock, ready_without_li: bool) -> Engine {
    let mut engine = Engine::new(config(30)).unwrap();
    let mut out = Vec::new();
    for i in 0..1000 {
        let skills = if ready_without_li {
            vec![AgentSkill::new(Skill::new(SKILLS[0]), (i % 5 + 1) as u8)]
        } else {
            vec![
                AgentSkill::new(Skill::new(SKILLS[i % 5]), (i % 5 + 1) as u8),
                AgentSkill::new(Skill::new(SKILLS[(i + 2) % 5]), ((i / 5) % 5 + 1) as u8),
            ]
        };
        apply(
            &mut engine,
            clock.next(),
            Command::AgentSignsIn {
                agent: agent(i),
                seat: None,
                skills,
                queues: vec![],
            },
            &mut out,
        );
    }
    for n in 0..500 {
        let required_skill = if ready_without_li {
            Some(SkillNeed::new(Skill::li(), 1))
        } else {
            (n % 2 == 0).then(|| SkillNeed::new(Skill::new(SKILLS[n % 5]), (n % 3 + 1) as u8))
        };
        apply(
            &mut engine,
            clock.next(),
            Command::CallArrives {
                provincial_call_id: format!("HN-{n}"),
                caller: "13800000000".into(),
                called: "12345".into(),
                queue: QueueId::new("general"),
                required_skill,
                priority: if n % 10 == 0 {
                    Priority::Urgent
                } else {
                    Priority::Normal
                },
            },
            &mut out,
        );
    }
    if ready_without_li {
        for i in 0..500 {
            apply(
                &mut engine,
                clock.next(),
                Command::AgentReady { agent: agent(i) },
                &mut out,
            );
        }
    }
    engine.check_invariants().unwrap();
    engine
}

fn offered(out: &[Output]) -> Option<(CallId, AgentId)> {
    out.iter().find_map(|o| match &o.event {
        Event::CallOffered { call, agent, .. } => Some((*call, agent.clone())),
        _ => None,
    })
}

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing_1000_agents_500_waiting");
    // Each iteration makes two routing decisions, so time per decision is half the figure.
    group.throughput(Throughput::Elements(2));

    // An agent becomes ready and takes the best of 500 waiting calls; the ring is then
    // refused, the agent goes not ready and the call goes back (to the front) of the queue,
    // where routing looks for another ready agent (there is none).
    {
        let mut clock = Clock::new(1);
        let mut engine = busy_centre(&mut clock, false);
        let mut out = Vec::with_capacity(16);
        let mut i = 0usize;
        group.bench_function("agent_ready_picks_call", |b| {
            b.iter(|| {
                i = (i + 7) % 1000;
                let who = agent(i);
                out.clear();
                apply(
                    &mut engine,
                    clock.next(),
                    Command::AgentReady { agent: who.clone() },
                    &mut out,
                );
                if let Some((call, who)) = offered(&out) {
                    out.clear();
                    apply(
                        &mut engine,
                        clock.next(),
                        Command::RingNoAnswer { call, agent: who },
                        &mut out,
                    );
                }
                black_box(out.len())
            })
        });
        engine.check_invariants().unwrap();
    }

    // A call arrives and picks among 500 ready agents; the caller hangs up while it rings, and
    // the freed agent looks for a call (the 500 waiting Li-language calls are not for it).
    {
        let mut clock = Clock::new(1);
        let mut engine = busy_centre(&mut clock, true);
        let mut out = Vec::with_capacity(16);
        let mut n = 0u64;
        group.bench_function("call_arrival_picks_agent", |b| {
            b.iter(|| {
                n += 1;
                out.clear();
                apply(
                    &mut engine,
                    clock.next(),
                    Command::CallArrives {
                        provincial_call_id: format!("B-{n}"),
                        caller: "13800000000".into(),
                        called: "12345".into(),
                        queue: QueueId::new("general"),
                        required_skill: None,
                        priority: Priority::Normal,
                    },
                    &mut out,
                );
                let (call, _) = offered(&out).expect("an agent is ready");
                out.clear();
                apply(
                    &mut engine,
                    clock.next(),
                    Command::CallerAbandons { call },
                    &mut out,
                );
                black_box(out.len())
            })
        });
        engine.check_invariants().unwrap();
    }
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_throughput");
    // One call's life: arrives (and is offered), answered, ended, wrap-up ended: 4 events.
    group.throughput(Throughput::Elements(4));
    // A call a second of virtual time (86,400 a day, far above any county): the engine keeps
    // finished calls for the satisfaction window (600 s), so its memory stays that of a
    // busy centre rather than of a million calls in a few seconds.
    let mut clock = Clock::new(500);
    let mut engine = Engine::new(config(30)).unwrap();
    let mut out = Vec::with_capacity(16);
    for i in 0..100 {
        let at = clock.next();
        let skills = vec![AgentSkill::new(Skill::mandarin(), 3)];
        apply(
            &mut engine,
            at,
            Command::AgentSignsIn {
                agent: agent(i),
                seat: None,
                skills,
                queues: vec![],
            },
            &mut out,
        );
        apply(
            &mut engine,
            at,
            Command::AgentReady { agent: agent(i) },
            &mut out,
        );
    }
    let mut n = 0u64;
    group.bench_function("call_lifecycle_100_agents", |b| {
        b.iter(|| {
            n += 1;
            out.clear();
            apply(
                &mut engine,
                clock.next(),
                Command::CallArrives {
                    provincial_call_id: format!("T-{n}"),
                    caller: "13800000000".into(),
                    called: "12345".into(),
                    queue: QueueId::new("general"),
                    required_skill: None,
                    priority: Priority::Normal,
                },
                &mut out,
            );
            let (call, who) = offered(&out).expect("an agent is ready");
            let at = clock.next();
            apply(
                &mut engine,
                at,
                Command::AgentAnswers {
                    call,
                    agent: who.clone(),
                },
                &mut out,
            );
            apply(
                &mut engine,
                at,
                Command::CallEnds {
                    call,
                    by: HangupSide::Caller,
                },
                &mut out,
            );
            apply(
                &mut engine,
                at,
                Command::WrapUpEnds { agent: who },
                &mut out,
            );
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, routing, throughput);
criterion_main!(benches);
