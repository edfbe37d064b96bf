//! A small harness: an engine on injected time (seconds after 2026-10-01 08:00 Beijing time),
//! collecting every output and finished record.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_acd::{
    AcdConfig, AcdError, AgentId, AgentSkill, CallId, CallRecord, Command, Engine, Event, Input,
    Output, Priority, QueueConfig, QueueId, RoutingStrategy, Skill, SkillNeed,
};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()
}

pub fn at(secs: f64) -> DateTime<Utc> {
    t0() + Duration::milliseconds((secs * 1000.0).round() as i64)
}

pub fn agent(id: &str) -> AgentId {
    AgentId::new(id)
}

/// One queue `general` with the given strategy, no wrap-up, generous overflow.
pub fn config(strategy: RoutingStrategy) -> AcdConfig {
    let mut q = QueueConfig::new(QueueId::new("general"), "综合").with_strategy(strategy);
    q.overflow_after_seconds = Some(300);
    q.max_waiting = None;
    AcdConfig {
        ring_timeout_seconds: 15,
        wrap_up_seconds: 0,
        short_abandon_seconds: 5,
        satisfaction_window_seconds: 600,
        queues: vec![q],
    }
}

pub struct Harness {
    pub engine: Engine,
    pub outputs: Vec<Output>,
    pub records: Vec<CallRecord>,
    next_pid: u64,
}

impl Harness {
    pub fn new(config: AcdConfig) -> Self {
        Harness {
            engine: Engine::new(config).expect("valid config"),
            outputs: Vec::new(),
            records: Vec::new(),
            next_pid: 1,
        }
    }

    fn collect(&mut self, out: Vec<Output>) -> Vec<Event> {
        for o in &out {
            if let Event::CallFinished { record } = &o.event {
                self.records.push((**record).clone());
            }
        }
        let events = out.iter().map(|o| o.event.clone()).collect();
        self.outputs.extend(out);
        events
    }

    /// Applies a command; timer outputs and the command's outputs are returned together.
    pub fn try_apply(&mut self, secs: f64, command: Command) -> Result<Vec<Event>, AcdError> {
        let mut out = Vec::new();
        let result = self.engine.apply(Input::new(at(secs), command), &mut out);
        let events = self.collect(out);
        self.engine.check_invariants().expect("invariants hold");
        result.map(|_| events)
    }

    pub fn apply(&mut self, secs: f64, command: Command) -> Vec<Event> {
        match self.try_apply(secs, command.clone()) {
            Ok(e) => e,
            Err(e) => panic!("{command:?} at {secs}s refused: {e}"),
        }
    }

    pub fn tick(&mut self, secs: f64) -> Vec<Event> {
        let mut out = Vec::new();
        self.engine.tick(at(secs), &mut out).expect("tick");
        self.engine.check_invariants().expect("invariants hold");
        self.collect(out)
    }

    pub fn sign_in(&mut self, secs: f64, id: &str, skills: &[(&str, u8)]) {
        let skills = skills
            .iter()
            .map(|(s, l)| AgentSkill::new(Skill::new(*s), *l))
            .collect();
        self.apply(
            secs,
            Command::AgentSignsIn {
                agent: agent(id),
                seat: Some(format!("seat-{id}")),
                skills,
                queues: vec![],
            },
        );
    }

    pub fn ready(&mut self, secs: f64, id: &str) -> Vec<Event> {
        self.apply(secs, Command::AgentReady { agent: agent(id) })
    }

    pub fn sign_in_ready(&mut self, secs: f64, id: &str, skills: &[(&str, u8)]) {
        self.sign_in(secs, id, skills);
        self.ready(secs, id);
    }

    pub fn arrive_with(
        &mut self,
        secs: f64,
        need: Option<(&str, u8)>,
        priority: Priority,
    ) -> (CallId, Vec<Event>) {
        let pid = format!("HN12345-{:06}", self.next_pid);
        self.next_pid += 1;
        let events = self.apply(
            secs,
            Command::CallArrives {
                provincial_call_id: pid,
                caller: "13800001111".into(),
                called: "12345".into(),
                queue: QueueId::new("general"),
                required_skill: need.map(|(s, l)| SkillNeed::new(Skill::new(s), l)),
                priority,
            },
        );
        let call = events
            .iter()
            .find_map(|e| match e {
                Event::CallArrived { call, .. } => Some(*call),
                _ => None,
            })
            .expect("call arrived");
        (call, events)
    }

    pub fn arrive(&mut self, secs: f64) -> (CallId, Vec<Event>) {
        self.arrive_with(secs, None, Priority::Normal)
    }

    pub fn answer(&mut self, secs: f64, call: CallId, id: &str) -> Vec<Event> {
        self.apply(
            secs,
            Command::AgentAnswers {
                call,
                agent: agent(id),
            },
        )
    }

    pub fn hang_up(&mut self, secs: f64, call: CallId) -> Vec<Event> {
        self.apply(
            secs,
            Command::CallEnds {
                call,
                by: rexian_acd::HangupSide::Caller,
            },
        )
    }

    pub fn record(&self, call: CallId) -> &CallRecord {
        self.records
            .iter()
            .find(|r| r.call_id == call)
            .expect("call has a record")
    }
}

/// The (call, agent) of every offer in `events`.
pub fn offers(events: &[Event]) -> Vec<(CallId, AgentId)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::CallOffered { call, agent, .. } => Some((*call, agent.clone())),
            _ => None,
        })
        .collect()
}

/// The agent a single offer in `events` went to.
pub fn offered_agent(events: &[Event]) -> Option<String> {
    offers(events).last().map(|(_, a)| a.0.clone())
}
