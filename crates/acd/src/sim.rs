//! A seeded simulation on virtual time that drives the same [`Engine`] the server runs, plus
//! the Erlang formulas to check it against (and to plan staffing with).
//!
//! Callers arrive as a Poisson process whose rate follows an hourly profile (local time,
//! Asia/Shanghai); each waits up to a random patience, talks for a random time once answered
//! and hangs up; agents answer an offered call after a fixed delay. The engine's own timers
//! (ring timeout, wrap-up, widening, overflow) run on the same virtual clock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal};
use serde::{Deserialize, Serialize};

use crate::config::AcdConfig;
use crate::engine::Engine;
use crate::error::AcdError;
use crate::message::{Command, Event, Input, Output};
use crate::model::{AgentId, AgentSkill, CallId, HangupSide, Priority};
use crate::record::CallRecord;
use crate::view::CallPhase;

const HOUR_MS: f64 = 3_600_000.0;
const LOCAL_OFFSET_MS: i64 = 8 * 3_600_000;
/// A simulation may cover at most a year.
const MAX_HOURS: u32 = 24 * 366;

/// A random duration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimeDistribution {
    Fixed {
        seconds: f64,
    },
    Exponential {
        mean_seconds: f64,
    },
    /// Log-normal with this mean and standard deviation (the usual shape of talk times).
    LogNormal {
        mean_seconds: f64,
        sd_seconds: f64,
    },
}

enum Sampler {
    Fixed(f64),
    Exp(Exp<f64>),
    LogNormal(LogNormal<f64>),
}

impl Sampler {
    fn new(what: &str, d: TimeDistribution) -> Result<Sampler, AcdError> {
        let bad = || AcdError::invalid(format!("{what}: {d:?} is not a usable distribution"));
        let positive = |x: f64| x.is_finite() && x > 0.0;
        match d {
            TimeDistribution::Fixed { seconds } if seconds.is_finite() && seconds >= 0.0 => {
                Ok(Sampler::Fixed(seconds))
            }
            TimeDistribution::Exponential { mean_seconds } if positive(mean_seconds) => {
                Exp::new(1.0 / mean_seconds)
                    .map(Sampler::Exp)
                    .map_err(|_| bad())
            }
            TimeDistribution::LogNormal {
                mean_seconds,
                sd_seconds,
            } if positive(mean_seconds) && sd_seconds.is_finite() && sd_seconds >= 0.0 => {
                let sigma2 = (1.0 + (sd_seconds / mean_seconds).powi(2)).ln();
                let mu = mean_seconds.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt())
                    .map(Sampler::LogNormal)
                    .map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }

    /// A sample in whole milliseconds, capped at a day.
    fn sample_ms(&self, rng: &mut StdRng) -> i64 {
        let s = match self {
            Sampler::Fixed(s) => *s,
            Sampler::Exp(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
        };
        (s * 1000.0).round().clamp(0.0, 86_400_000.0) as i64
    }
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    pub seed: u64,
    pub start: DateTime<Utc>,
    /// Arrivals stop after this many hours; calls still in progress are played out.
    pub hours: u32,
    /// Mean calls per hour, for each local hour of the day (0 = 00:00–01:00 Beijing time).
    pub hourly_arrivals: [f64; 24],
    /// Agents signed in and ready for the whole run.
    pub agents: u32,
    pub agent_skills: Vec<AgentSkill>,
    pub talk: TimeDistribution,
    /// How long a caller waits before hanging up; `None`: callers never abandon.
    pub patience: Option<TimeDistribution>,
    /// Seconds an agent takes to pick up a ringing call.
    pub answer_delay_seconds: f64,
    /// Calls go to the first queue.
    pub acd: AcdConfig,
}

impl SimConfig {
    /// A flat profile of `calls_per_hour` around the clock.
    pub fn flat(calls_per_hour: f64) -> [f64; 24] {
        [calls_per_hour; 24]
    }
}

/// What came out of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimOutcome {
    /// Every call's record, in the order the calls finished.
    pub records: Vec<CallRecord>,
    /// Total signed-in seconds of all agents, for occupancy.
    pub agent_logged_in_seconds: f64,
    /// Inputs given to the engine (timer firings not counted).
    pub inputs: u64,
    /// When the last call finished.
    pub ended_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SimEvent {
    Arrival,
    Answer { call: u64, agent: u32 },
    Hangup { call: u64 },
    Abandon { call: u64 },
}

struct Run<'a> {
    cfg: &'a SimConfig,
    engine: Engine,
    rng: StdRng,
    talk: Sampler,
    patience: Option<Sampler>,
    answer_delay_ms: i64,
    agent_ids: Vec<AgentId>,
    agent_index: HashMap<AgentId, u32>,
    pending: BinaryHeap<Reverse<(i64, u64, SimEvent)>>,
    seq: u64,
    out: Vec<Output>,
    records: Vec<CallRecord>,
    inputs: u64,
    arrivals: u64,
    end_ms: i64,
}

/// Runs the simulation. Errors only on a bad configuration; an engine refusal during the run
/// would be a bug in the engine or the simulation and is returned as well.
pub fn simulate(cfg: &SimConfig) -> Result<SimOutcome, AcdError> {
    if cfg.hours > MAX_HOURS {
        return Err(AcdError::invalid("a simulation covers at most a year"));
    }
    if cfg
        .hourly_arrivals
        .iter()
        .any(|r| !r.is_finite() || *r < 0.0)
    {
        return Err(AcdError::invalid(
            "hourly arrivals must be finite and not negative",
        ));
    }
    if !cfg.answer_delay_seconds.is_finite() || !(0.0..=3600.0).contains(&cfg.answer_delay_seconds)
    {
        return Err(AcdError::invalid(
            "answer delay must be between 0 and 3600 s",
        ));
    }
    if cfg.agents > 10_000 {
        return Err(AcdError::invalid("at most 10000 agents"));
    }
    let engine = Engine::new(cfg.acd.clone())?;
    let start_ms = cfg.start.timestamp_millis();
    let agent_ids: Vec<AgentId> = (1..=cfg.agents)
        .map(|i| AgentId::new(format!("sim-{i:04}")))
        .collect();
    let agent_index = agent_ids
        .iter()
        .enumerate()
        .map(|(i, a)| (a.clone(), i as u32))
        .collect();
    let mut run = Run {
        cfg,
        engine,
        rng: StdRng::seed_from_u64(cfg.seed),
        talk: Sampler::new("talk", cfg.talk)?,
        patience: cfg
            .patience
            .map(|p| Sampler::new("patience", p))
            .transpose()?,
        answer_delay_ms: (cfg.answer_delay_seconds * 1000.0).round() as i64,
        agent_ids,
        agent_index,
        pending: BinaryHeap::new(),
        seq: 0,
        out: Vec::new(),
        records: Vec::new(),
        inputs: 0,
        arrivals: 0,
        end_ms: start_ms + i64::from(cfg.hours) * 3_600_000,
    };
    run.start(start_ms)?;
    run.run()?;
    let end = run.engine.now().unwrap_or(cfg.start);
    let logged_ms: u64 = run
        .engine
        .agents(end)
        .iter()
        .map(|a| a.time_in_state.logged_in_ms())
        .sum();
    Ok(SimOutcome {
        records: run.records,
        agent_logged_in_seconds: logged_ms as f64 / 1000.0,
        inputs: run.inputs,
        ended_at: end,
    })
}

fn to_dt(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Run<'_> {
    fn schedule(&mut self, at_ms: i64, event: SimEvent) {
        self.seq += 1;
        self.pending.push(Reverse((at_ms, self.seq, event)));
    }

    fn input(&mut self, at_ms: i64, command: Command) -> Result<(), AcdError> {
        self.inputs += 1;
        self.engine
            .apply(Input::new(to_dt(at_ms), command), &mut self.out)?;
        self.react();
        Ok(())
    }

    fn start(&mut self, start_ms: i64) -> Result<(), AcdError> {
        for i in 0..self.agent_ids.len() {
            let agent = self.agent_ids[i].clone();
            self.input(
                start_ms,
                Command::AgentSignsIn {
                    agent: agent.clone(),
                    seat: None,
                    skills: self.cfg.agent_skills.clone(),
                    queues: Vec::new(),
                },
            )?;
            self.input(start_ms, Command::AgentReady { agent })?;
        }
        if let Some(t) = self.next_arrival(start_ms as f64) {
            self.schedule(t, SimEvent::Arrival);
        }
        Ok(())
    }

    /// The next arrival after `t` of a Poisson process whose rate is constant within each
    /// local hour (exact, by memorylessness: a draw that crosses the hour restarts there).
    fn next_arrival(&mut self, mut t: f64) -> Option<i64> {
        while t < self.end_ms as f64 {
            let local = t as i64 + LOCAL_OFFSET_MS;
            let hour = (local.div_euclid(3_600_000)).rem_euclid(24) as usize;
            let hour_end =
                (local.div_euclid(3_600_000) + 1) as f64 * HOUR_MS - LOCAL_OFFSET_MS as f64;
            let rate_per_ms = self.cfg.hourly_arrivals[hour] / HOUR_MS;
            if rate_per_ms > 0.0 {
                let u: f64 = self.rng.random();
                let gap = -(1.0 - u).ln() / rate_per_ms;
                if t + gap < hour_end {
                    let at = (t + gap).round() as i64;
                    return (at < self.end_ms).then_some(at);
                }
            }
            t = hour_end;
        }
        None
    }

    fn run(&mut self) -> Result<(), AcdError> {
        loop {
            let next_sim = self.pending.peek().map(|Reverse((t, _, _))| *t);
            let next_timer = self.engine.next_deadline().map(|d| d.timestamp_millis());
            match (next_sim, next_timer) {
                (None, None) => return Ok(()),
                (Some(s), Some(t)) if t <= s => self.tick(t)?,
                (None, Some(t)) => self.tick(t)?,
                _ => {
                    if let Some(Reverse((at, _, event))) = self.pending.pop() {
                        self.handle(at, event)?;
                    }
                }
            }
        }
    }

    fn tick(&mut self, at_ms: i64) -> Result<(), AcdError> {
        self.engine.tick(to_dt(at_ms), &mut self.out)?;
        self.react();
        Ok(())
    }

    fn handle(&mut self, at: i64, event: SimEvent) -> Result<(), AcdError> {
        match event {
            SimEvent::Arrival => {
                self.arrivals += 1;
                let n = self.arrivals;
                let caller = format!("1380000{:04}", self.rng.random_range(0..10_000u32));
                let queue = self.cfg.acd.queues.first().map(|q| q.id.clone());
                let Some(queue) = queue else {
                    return Err(AcdError::invalid("no queue"));
                };
                self.input(
                    at,
                    Command::CallArrives {
                        provincial_call_id: format!("SIM-{}-{n}", self.cfg.seed),
                        caller,
                        called: "12345".into(),
                        queue,
                        required_skill: None,
                        priority: Priority::Normal,
                    },
                )?;
                if let Some(t) = self.next_arrival(at as f64) {
                    self.schedule(t, SimEvent::Arrival);
                }
            }
            SimEvent::Answer { call, agent } => {
                let agent_id = &self.agent_ids[agent as usize];
                let ringing_here = self.engine.call(CallId(call)).is_some_and(|c| {
                    c.phase == CallPhase::Ringing && c.agent.as_ref() == Some(agent_id)
                });
                if ringing_here {
                    let agent = agent_id.clone();
                    self.input(
                        at,
                        Command::AgentAnswers {
                            call: CallId(call),
                            agent,
                        },
                    )?;
                }
            }
            SimEvent::Hangup { call } => {
                let talking = self
                    .engine
                    .call(CallId(call))
                    .is_some_and(|c| c.phase == CallPhase::Talking);
                if talking {
                    let by = HangupSide::Caller;
                    self.input(
                        at,
                        Command::CallEnds {
                            call: CallId(call),
                            by,
                        },
                    )?;
                }
            }
            SimEvent::Abandon { call } => {
                let waiting = self
                    .engine
                    .call(CallId(call))
                    .is_some_and(|c| matches!(c.phase, CallPhase::Waiting | CallPhase::Ringing));
                if waiting {
                    self.input(at, Command::CallerAbandons { call: CallId(call) })?;
                }
            }
        }
        Ok(())
    }

    /// Turns the engine's outputs into the callers' and agents' next moves.
    fn react(&mut self) {
        let out = std::mem::take(&mut self.out);
        for o in &out {
            let at = o.at.timestamp_millis();
            match &o.event {
                Event::CallArrived { call, .. } => {
                    if let Some(p) = &self.patience {
                        let wait = p.sample_ms(&mut self.rng);
                        self.schedule(at + wait, SimEvent::Abandon { call: call.0 });
                    }
                }
                Event::CallOffered { call, agent, .. } => {
                    if let Some(&agent) = self.agent_index.get(agent) {
                        let answer = SimEvent::Answer {
                            call: call.0,
                            agent,
                        };
                        self.schedule(at + self.answer_delay_ms, answer);
                    }
                }
                Event::CallAnswered { call, .. } => {
                    let talk = self.talk.sample_ms(&mut self.rng);
                    self.schedule(at + talk, SimEvent::Hangup { call: call.0 });
                }
                Event::CallFinished { record } => self.records.push((**record).clone()),
                _ => {}
            }
        }
        self.out = out;
        self.out.clear();
    }
}

/// Erlang B: the probability that all `servers` are busy when `erlangs` of traffic is offered
/// to a loss system.
pub fn erlang_b(servers: u32, erlangs: f64) -> f64 {
    if erlangs.is_nan() || erlangs <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0;
    for n in 1..=servers {
        b = erlangs * b / (f64::from(n) + erlangs * b);
    }
    b
}

/// Erlang C: the probability that a call waits, with `servers` agents and `erlangs` of traffic
/// (arrival rate × mean handle time), callers never abandoning. 1 when the load meets or
/// exceeds the agents.
pub fn erlang_c(servers: u32, erlangs: f64) -> f64 {
    if erlangs.is_nan() || erlangs <= 0.0 {
        return 0.0;
    }
    let n = f64::from(servers);
    if erlangs >= n {
        return 1.0;
    }
    let b = erlang_b(servers, erlangs);
    n * b / (n - erlangs * (1.0 - b))
}

/// Erlang C mean wait over all calls (ASA), in seconds; infinite when overloaded.
pub fn erlang_c_asa(servers: u32, erlangs: f64, aht_seconds: f64) -> f64 {
    let n = f64::from(servers);
    if erlangs >= n {
        return f64::INFINITY;
    }
    erlang_c(servers, erlangs) * aht_seconds / (n - erlangs)
}

/// Erlang C share of calls answered within `target_seconds`.
pub fn erlang_c_service_level(
    servers: u32,
    erlangs: f64,
    aht_seconds: f64,
    target_seconds: f64,
) -> f64 {
    let n = f64::from(servers);
    if erlangs >= n {
        return 0.0;
    }
    if aht_seconds <= 0.0 {
        return 1.0;
    }
    1.0 - erlang_c(servers, erlangs) * (-(n - erlangs) * target_seconds / aht_seconds).exp()
}

/// The fewest agents whose Erlang C service level within `target_seconds` reaches `goal`
/// (e.g. 0.8 within 15 s), for staffing plans. `None` if more than 10,000 would be needed.
pub fn agents_needed(
    erlangs: f64,
    aht_seconds: f64,
    target_seconds: f64,
    goal: f64,
) -> Option<u32> {
    if !erlangs.is_finite() || erlangs < 0.0 {
        return None;
    }
    let start = erlangs.floor() as u32 + 1;
    (start.max(1)..=10_000)
        .find(|&n| erlang_c_service_level(n, erlangs, aht_seconds, target_seconds) >= goal)
}
