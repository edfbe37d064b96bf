//! The ACD engine: one sub-platform's queues, agents and live calls.
//!
//! Pure and single-threaded: every input carries its time, timers are deadlines the caller
//! drives with [`Engine::tick`] (the live server on the wall clock, the simulation on virtual
//! time), and every decision comes back as [`Output`]s. An input the engine refuses changes
//! nothing.
//!
//! Data structures, chosen so a routing decision does not scan agents or calls:
//! - ready agents sit, per queue, in ordered sets keyed by the queue's strategy (idle-since,
//!   calls today, sign-in position), one set for all and one per (skill, level);
//! - waiting calls sit, per queue, in ordered sets keyed by (priority, arrival), one set for
//!   calls any agent may take and one per (skill, minimum level);
//! - timers sit in one ordered set of (deadline, kind, id).
//!
//! So a call looks at the heads of at most 1 + 5 sets, and an agent at the heads of
//! (1 + Σ its skill levels) sets per queue it serves.

use std::collections::{BTreeSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Utc};

use crate::config::{AcdConfig, RoutingStrategy};
use crate::error::{AcdError, Entity};
use crate::message::{Command, Event, ForcedState, Input, Output};
use crate::model::{
    AgentId, AgentSkill, AgentState, BreakReason, CallId, CallOutcome, HangupSide, MAX_SKILL_LEVEL,
    NotReadyCause, OfferAttempt, OfferResult, OverflowReason, Priority, QueueId, Satisfaction,
    Skill, SkillNeed, TransferStep, TransferTarget,
};
use crate::record::CallRecord;
use crate::view::{
    AgentCounters, AgentView, CallPhase, CallView, QueueCounters, QueueView, TimeInState,
};

/// A fast hasher for the engine's own maps (ids of calls, agents, queues, skills). Their keys
/// come from the sub-platform's own telephony and staff, so resistance to hash flooding (the
/// reason std hashes slowly) buys nothing, and hashing is a visible share of each event.
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.mix(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;

const LEVELS: usize = MAX_SKILL_LEVEL as usize;
/// Distinct skills one engine accepts; beyond this an input naming a new skill is refused.
const MAX_SKILLS: usize = 256;
const MAX_SKILLS_PER_AGENT: usize = 32;
const MAX_AGENTS: usize = 100_000;
const MAX_TEXT: usize = 128;
/// Inputs must lie between 2000-01-01 and 2200-01-01 (UTC).
const MIN_MS: i64 = 946_684_800_000;
const MAX_MS: i64 = 7_258_118_400_000;
const DAY_MS: i64 = 86_400_000;
/// Asia/Shanghai, for "calls today".
const LOCAL_OFFSET_MS: i64 = 8 * 3_600_000;

/// A waiting call's place: priority first, then arrival, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct WaitKey {
    rank: u8,
    arrived_ms: i64,
    call: u64,
}

/// A ready agent's place in a queue; the meaning of `k1`/`k2` depends on the strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct IdleKey {
    k1: i64,
    k2: i64,
    agent: u32,
}

/// Same-millisecond timers fire in this order: a ring ends before a wrap-up frees an agent,
/// which comes before a waiting call widens or overflows (so the freed agent can take it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum TimerKind {
    RingTimeout,
    WrapUpEnd,
    Widen,
    Overflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Timer {
    at_ms: i64,
    kind: TimerKind,
    /// A call id, or an agent index for `WrapUpEnd`.
    id: u64,
}

type LevelSets<K> = [BTreeSet<K>; LEVELS];

#[derive(Debug, Clone, PartialEq)]
struct QueueSlot {
    config: crate::config::QueueConfig,
    /// Waiting calls any agent of the queue may take.
    waiting_any: BTreeSet<WaitKey>,
    /// `[skill][min_level - 1]`: waiting calls that still need that skill.
    waiting_skill: Vec<LevelSets<WaitKey>>,
    idle_any: BTreeSet<IdleKey>,
    /// `[skill][level - 1]`: ready agents with that skill at that level.
    idle_skill: Vec<LevelSets<IdleKey>>,
    waiting: u32,
    signed_in: u32,
    /// Round robin: the sign-in position to start looking from.
    rr_next: i64,
    counters: QueueCounters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Ringing(u32),
    Talking(u32),
    WrapUp(u32),
}

#[derive(Debug, Clone, PartialEq)]
struct LiveCall {
    provincial_call_id: String,
    caller: String,
    called: String,
    queue: u16,
    priority: Priority,
    required_skill: Option<SkillNeed>,
    /// Interned (skill, min level) of `required_skill`.
    need: Option<(u16, u8)>,
    arrived_ms: i64,
    widened_ms: Option<i64>,
    phase: Phase,
    ring_since_ms: i64,
    ring_deadline_ms: i64,
    offers: Vec<OfferAttempt>,
    answered_ms: Option<i64>,
    ended_ms: Option<i64>,
    ended_by: Option<HangupSide>,
    transferred: bool,
    transfers: Vec<TransferStep>,
    satisfaction: Option<Satisfaction>,
    overflow_deadline_ms: Option<i64>,
    widen_deadline_ms: Option<i64>,
}

impl LiveCall {
    fn bucket(&self) -> Option<(u16, u8)> {
        if self.widened_ms.is_some() {
            None
        } else {
            self.need
        }
    }

    fn wait_key(&self, id: u64) -> WaitKey {
        WaitKey {
            rank: self.priority.rank(),
            arrived_ms: self.arrived_ms,
            call: id,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct AgentSlot {
    id: AgentId,
    seat: Option<String>,
    state: AgentState,
    state_since_ms: i64,
    skills: Vec<AgentSkill>,
    /// Interned (skill, level), parallel to `skills`.
    skill_levels: Vec<(u16, u8)>,
    queues: Vec<u16>,
    /// Sign-in order, for round robin.
    position: u32,
    /// When the agent last became ready (valid while ready).
    idle_since_ms: i64,
    /// `answered_today` when the agent last became ready (the fewest-calls key).
    idle_calls: u32,
    local_day: i64,
    answered_today: u32,
    wrap_deadline_ms: Option<i64>,
    counters: AgentCounters,
    time_in_state: TimeInState,
}

/// A finished call a satisfaction rating may still arrive for.
#[derive(Debug, Clone, PartialEq)]
struct RecentCall {
    agent: Option<u32>,
    rated: bool,
}

/// The ACD engine of one sub-platform. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Engine {
    config: AcdConfig,
    /// The time of the last input or tick; inputs before it are refused.
    now_ms: i64,
    /// `now_ms` as a date-time, kept because nearly every output carries it.
    now_dt: DateTime<Utc>,
    next_call: u64,
    queues: Vec<QueueSlot>,
    queue_index: HashMap<QueueId, u16>,
    skills: Vec<Skill>,
    skill_index: HashMap<Skill, u16>,
    agents: Vec<AgentSlot>,
    agent_index: HashMap<AgentId, u32>,
    calls: HashMap<u64, LiveCall>,
    by_provincial: HashMap<String, u64>,
    timers: BTreeSet<Timer>,
    recent: HashMap<u64, RecentCall>,
    recent_order: VecDeque<(i64, u64)>,
}

fn to_dt(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn local_day(ms: i64) -> i64 {
    (ms + LOCAL_OFFSET_MS).div_euclid(DAY_MS)
}

fn check_text(what: &str, text: &str, required: bool) -> Result<(), AcdError> {
    if required && text.trim().is_empty() {
        return Err(AcdError::invalid(format!("{what} must not be empty")));
    }
    if text.len() > MAX_TEXT {
        return Err(AcdError::invalid(format!(
            "{what} is longer than {MAX_TEXT} bytes"
        )));
    }
    Ok(())
}

fn check_level(level: u8) -> Result<(), AcdError> {
    if (1..=MAX_SKILL_LEVEL).contains(&level) {
        Ok(())
    } else {
        Err(AcdError::invalid(format!(
            "skill level {level} is outside 1..={MAX_SKILL_LEVEL}"
        )))
    }
}

fn new_level_sets<K>() -> LevelSets<K> {
    std::array::from_fn(|_| BTreeSet::new())
}

impl Engine {
    /// An engine with no agents signed in and no calls.
    pub fn new(config: AcdConfig) -> Result<Engine, AcdError> {
        config.validate()?;
        let queues = config
            .queues
            .iter()
            .map(|q| QueueSlot {
                config: q.clone(),
                waiting_any: BTreeSet::new(),
                waiting_skill: Vec::new(),
                idle_any: BTreeSet::new(),
                idle_skill: Vec::new(),
                waiting: 0,
                signed_in: 0,
                rr_next: 0,
                counters: QueueCounters::default(),
            })
            .collect();
        let queue_index = config
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i as u16))
            .collect::<HashMap<_, _>>();
        Ok(Engine {
            config,
            now_ms: i64::MIN,
            now_dt: DateTime::<Utc>::MIN_UTC,
            next_call: 1,
            queues,
            queue_index,
            skills: Vec::new(),
            skill_index: HashMap::default(),
            agents: Vec::new(),
            agent_index: HashMap::default(),
            calls: HashMap::default(),
            by_provincial: HashMap::default(),
            timers: BTreeSet::new(),
            recent: HashMap::default(),
            recent_order: VecDeque::new(),
        })
    }

    pub fn config(&self) -> &AcdConfig {
        &self.config
    }

    /// The time of the last input or tick (`None` before the first).
    pub fn now(&self) -> Option<DateTime<Utc>> {
        (self.now_ms != i64::MIN).then(|| to_dt(self.now_ms))
    }

    /// The earliest pending timer (ring timeout, wrap-up end, skill widening, overflow).
    /// Call [`Engine::tick`] at that time, or pass a later input, and the timer fires.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.timers.first().map(|t| to_dt(t.at_ms))
    }

    /// Fires every timer due at or before `now`, each at its own deadline, in time order.
    pub fn tick(&mut self, now: DateTime<Utc>, out: &mut Vec<Output>) -> Result<(), AcdError> {
        let now_ms = self.accept_time(now)?;
        self.advance(now_ms, out);
        Ok(())
    }

    /// Handles one input. Timers due up to `input.at` fire first (their outputs are pushed to
    /// `out` even if the command is then refused: they were due anyway). A refused command
    /// changes nothing else and pushes nothing of its own.
    pub fn apply(&mut self, input: Input, out: &mut Vec<Output>) -> Result<(), AcdError> {
        let now = self.accept_time(input.at)?;
        self.advance(now, out);
        match input.command {
            Command::CallArrives {
                provincial_call_id,
                caller,
                called,
                queue,
                required_skill,
                priority,
            } => self.call_arrives(
                now,
                provincial_call_id,
                caller,
                called,
                &queue,
                required_skill,
                priority,
                out,
            ),
            Command::CallerAbandons { call } => self.caller_abandons(now, call, out),
            Command::AgentSignsIn {
                agent,
                seat,
                skills,
                queues,
            } => self.sign_in(now, agent, seat, skills, &queues, out),
            Command::AgentSignsOut { agent } => self.sign_out(now, &agent, None, out),
            Command::AgentReady { agent } => self.agent_ready(now, &agent, out),
            Command::AgentNotReady { agent } => self.agent_not_ready(now, &agent, out),
            Command::AgentBreak { agent, reason } => self.agent_break(now, &agent, reason, out),
            Command::ForceAgentState { agent, state, by } => {
                self.force_state(now, &agent, state, &by, out)
            }
            Command::AgentAnswers { call, agent } => self.agent_answers(now, call, &agent, out),
            Command::RingNoAnswer { call, agent } => self.ring_no_answer(now, call, &agent, out),
            Command::Transfer { call, target } => self.transfer(now, call, target, out),
            Command::CallEnds { call, by } => self.call_ends(now, call, by, out),
            Command::WrapUpEnds { agent } => self.wrap_up_ends(now, &agent, out),
            Command::SatisfactionReported { call, rating } => {
                self.satisfaction(now, call, rating, out)
            }
        }
    }

    // ----- time -------------------------------------------------------------------------

    fn accept_time(&self, at: DateTime<Utc>) -> Result<i64, AcdError> {
        let ms = at.timestamp_millis();
        if !(MIN_MS..MAX_MS).contains(&ms) {
            return Err(AcdError::invalid(format!(
                "time {at} is outside 2000-01-01..2200-01-01"
            )));
        }
        if ms < self.now_ms {
            return Err(AcdError::OutOfOrder {
                at,
                engine_now: to_dt(self.now_ms),
            });
        }
        Ok(ms)
    }

    fn advance(&mut self, to_ms: i64, out: &mut Vec<Output>) {
        while let Some(timer) = self.timers.first().copied() {
            if timer.at_ms > to_ms {
                break;
            }
            self.timers.remove(&timer);
            self.set_now(timer.at_ms);
            self.fire(timer, out);
        }
        self.set_now(to_ms);
        self.forget_old_calls();
    }

    fn set_now(&mut self, ms: i64) {
        if ms > self.now_ms {
            self.now_ms = ms;
            self.now_dt = to_dt(ms);
        }
    }

    fn fire(&mut self, timer: Timer, out: &mut Vec<Output>) {
        let now = timer.at_ms;
        match timer.kind {
            TimerKind::RingTimeout => {
                if let Some(call) = self.calls.get(&timer.id)
                    && let Phase::Ringing(agent) = call.phase
                {
                    self.ring_ended_unanswered(now, timer.id, agent, out);
                }
            }
            TimerKind::WrapUpEnd => {
                let agent = timer.id as u32;
                if let Some(slot) = self.agents.get_mut(agent as usize)
                    && matches!(slot.state, AgentState::WrapUp { .. })
                {
                    slot.wrap_deadline_ms = None;
                    self.move_agent(now, agent, AgentState::Ready, None, out);
                }
            }
            TimerKind::Widen => {
                let Some(call) = self.calls.get_mut(&timer.id) else {
                    return;
                };
                call.widen_deadline_ms = None;
                if call.widened_ms.is_some() {
                    return;
                }
                let waiting = call.phase == Phase::Waiting;
                if waiting {
                    self.unqueue(timer.id);
                }
                if let Some(call) = self.calls.get_mut(&timer.id) {
                    call.widened_ms = Some(now);
                }
                self.emit(
                    now,
                    Event::CallWidened {
                        call: CallId(timer.id),
                    },
                    out,
                );
                if waiting {
                    self.route_call(now, timer.id, out);
                }
            }
            TimerKind::Overflow => {
                if self.calls.get(&timer.id).map(|c| c.phase) == Some(Phase::Waiting) {
                    self.unqueue(timer.id);
                    self.overflow(now, timer.id, OverflowReason::WaitTooLong, out);
                }
                // A ringing call is checked again if its ring ends unanswered.
            }
        }
    }

    fn forget_old_calls(&mut self) {
        let window = i64::from(self.config.satisfaction_window_seconds) * 1000;
        while let Some(&(finished, id)) = self.recent_order.front() {
            if finished + window >= self.now_ms {
                break;
            }
            self.recent_order.pop_front();
            self.recent.remove(&id);
        }
    }

    fn emit(&self, at_ms: i64, event: Event, out: &mut Vec<Output>) {
        let at = if at_ms == self.now_ms {
            self.now_dt
        } else {
            to_dt(at_ms)
        };
        out.push(Output { at, event });
    }

    // ----- look-ups -----------------------------------------------------------------------

    fn agent_idx(&self, id: &AgentId) -> Result<u32, AcdError> {
        self.agent_index
            .get(id)
            .copied()
            .ok_or_else(|| AcdError::Unknown {
                entity: Entity::Agent,
                id: id.0.clone(),
            })
    }

    fn live_call(&self, call: CallId) -> Result<&LiveCall, AcdError> {
        self.calls.get(&call.0).ok_or_else(|| AcdError::Unknown {
            entity: Entity::Call,
            id: call.to_string(),
        })
    }

    fn agent_state_conflict(&self, agent: u32, reason: &str) -> AcdError {
        let state = self.agents[agent as usize].state;
        AcdError::conflict(reason, state.code())
    }

    fn phase_name(phase: Phase) -> &'static str {
        match phase {
            Phase::Waiting => "waiting",
            Phase::Ringing(_) => "ringing",
            Phase::Talking(_) => "talking",
            Phase::WrapUp(_) => "wrap_up",
        }
    }

    /// Interned index of `skill`, adding it if new (callers check capacity first).
    fn intern_skill(&mut self, skill: &Skill) -> u16 {
        if let Some(&i) = self.skill_index.get(skill) {
            return i;
        }
        let i = self.skills.len() as u16;
        self.skills.push(skill.clone());
        self.skill_index.insert(skill.clone(), i);
        for q in &mut self.queues {
            q.waiting_skill.push(new_level_sets());
            q.idle_skill.push(new_level_sets());
        }
        i
    }

    fn check_skill_capacity<'a>(
        &self,
        skills: impl Iterator<Item = &'a Skill>,
    ) -> Result<(), AcdError> {
        let mut new: Vec<&Skill> = skills
            .filter(|s| !self.skill_index.contains_key(*s))
            .collect();
        new.sort();
        new.dedup();
        if self.skills.len() + new.len() > MAX_SKILLS {
            return Err(AcdError::invalid(format!(
                "more than {MAX_SKILLS} distinct skills"
            )));
        }
        Ok(())
    }

    // ----- routing indexes ----------------------------------------------------------------

    fn idle_key(&self, agent: u32, queue: u16) -> IdleKey {
        let a = &self.agents[agent as usize];
        let (k1, k2) = match self.queues[queue as usize].config.strategy {
            RoutingStrategy::LongestIdle | RoutingStrategy::SkillLevel => (a.idle_since_ms, 0),
            RoutingStrategy::FewestCalls => (i64::from(a.idle_calls), a.idle_since_ms),
            RoutingStrategy::RoundRobin => (i64::from(a.position), 0),
        };
        IdleKey { k1, k2, agent }
    }

    fn idle_insert(&mut self, agent: u32) {
        for qi in 0..self.agents[agent as usize].queues.len() {
            let q = self.agents[agent as usize].queues[qi];
            let key = self.idle_key(agent, q);
            let a = &self.agents[agent as usize];
            let slot = &mut self.queues[q as usize];
            slot.idle_any.insert(key);
            for &(s, l) in &a.skill_levels {
                slot.idle_skill[s as usize][l as usize - 1].insert(key);
            }
        }
    }

    fn idle_remove(&mut self, agent: u32) {
        for qi in 0..self.agents[agent as usize].queues.len() {
            let q = self.agents[agent as usize].queues[qi];
            let key = self.idle_key(agent, q);
            let a = &self.agents[agent as usize];
            let slot = &mut self.queues[q as usize];
            slot.idle_any.remove(&key);
            for &(s, l) in &a.skill_levels {
                slot.idle_skill[s as usize][l as usize - 1].remove(&key);
            }
        }
    }

    /// Puts a waiting call into its queue's bucket.
    fn enqueue(&mut self, id: u64) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let key = call.wait_key(id);
        let bucket = call.bucket();
        let q = &mut self.queues[call.queue as usize];
        let inserted = match bucket {
            None => q.waiting_any.insert(key),
            Some((s, m)) => q.waiting_skill[s as usize][m as usize - 1].insert(key),
        };
        if inserted {
            q.waiting += 1;
        }
    }

    /// Takes a waiting call out of its queue's bucket.
    fn unqueue(&mut self, id: u64) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let key = call.wait_key(id);
        let bucket = call.bucket();
        let q = &mut self.queues[call.queue as usize];
        let removed = match bucket {
            None => q.waiting_any.remove(&key),
            Some((s, m)) => q.waiting_skill[s as usize][m as usize - 1].remove(&key),
        };
        if removed {
            q.waiting -= 1;
        }
    }

    /// The ready agent a call should ring at, by its queue's strategy, or none.
    fn find_agent_for(&self, call: &LiveCall) -> Option<u32> {
        let q = &self.queues[call.queue as usize];
        let strategy = q.config.strategy;
        let rr = q.rr_next;
        let head = |set: &BTreeSet<IdleKey>| -> Option<IdleKey> {
            if strategy == RoutingStrategy::RoundRobin {
                let from = IdleKey {
                    k1: rr,
                    k2: i64::MIN,
                    agent: 0,
                };
                set.range(from..).next().or_else(|| set.first()).copied()
            } else {
                set.first().copied()
            }
        };
        // Round robin compares by distance forward from the pointer, others by key.
        let order = |k: &IdleKey| -> (i64, i64, u32) {
            if strategy == RoutingStrategy::RoundRobin {
                let d = if k.k1 >= rr {
                    k.k1 - rr
                } else {
                    k.k1 + (1 << 33) - rr
                };
                (d, k.k2, k.agent)
            } else {
                (k.k1, k.k2, k.agent)
            }
        };
        match call.bucket() {
            None => head(&q.idle_any).map(|k| k.agent),
            Some((s, min)) => {
                let levels = &q.idle_skill[s as usize][min as usize - 1..];
                if strategy == RoutingStrategy::SkillLevel {
                    levels.iter().rev().find_map(head).map(|k| k.agent)
                } else {
                    levels
                        .iter()
                        .filter_map(head)
                        .min_by_key(order)
                        .map(|k| k.agent)
                }
            }
        }
    }

    /// The waiting call a ready agent should take: highest priority, then earliest arrival,
    /// across every queue the agent serves and every skill bucket the agent qualifies for.
    fn find_call_for(&self, agent: u32) -> Option<u64> {
        let a = &self.agents[agent as usize];
        let mut best: Option<WaitKey> = None;
        let mut consider = |k: Option<&WaitKey>| {
            if let Some(&k) = k
                && best.is_none_or(|b| k < b)
            {
                best = Some(k);
            }
        };
        for &q in &a.queues {
            let slot = &self.queues[q as usize];
            if slot.waiting == 0 {
                continue;
            }
            consider(slot.waiting_any.first());
            for &(s, l) in &a.skill_levels {
                for set in &slot.waiting_skill[s as usize][..l as usize] {
                    consider(set.first());
                }
            }
        }
        best.map(|k| k.call)
    }

    // ----- agent state --------------------------------------------------------------------

    /// Sets an agent's state and keeps the indexes, counts and time-in-state right. Does not
    /// route and does not touch calls: callers do that.
    fn set_agent_state(
        &mut self,
        now: i64,
        agent: u32,
        to: AgentState,
        forced_by: Option<&str>,
        out: &mut Vec<Output>,
    ) {
        let from = self.agents[agent as usize].state;
        if from == AgentState::Ready {
            self.idle_remove(agent);
        }
        let signing_in = from == AgentState::SignedOut && to != AgentState::SignedOut;
        let signing_out = from != AgentState::SignedOut && to == AgentState::SignedOut;
        {
            let a = &mut self.agents[agent as usize];
            let spent = (now - a.state_since_ms).max(0) as u64;
            a.time_in_state.add(from, spent);
            a.state = to;
            a.state_since_ms = now;
            if to == AgentState::Ready {
                let day = local_day(now);
                if a.local_day != day {
                    a.local_day = day;
                    a.answered_today = 0;
                }
                a.idle_since_ms = now;
                a.idle_calls = a.answered_today;
            }
        }
        if signing_in || signing_out {
            for qi in 0..self.agents[agent as usize].queues.len() {
                let q = self.agents[agent as usize].queues[qi] as usize;
                if signing_in {
                    self.queues[q].signed_in += 1;
                } else {
                    self.queues[q].signed_in -= 1;
                }
            }
        }
        if to == AgentState::Ready {
            self.idle_insert(agent);
        }
        let id = self.agents[agent as usize].id.clone();
        self.emit(
            now,
            Event::AgentStateChanged {
                agent: id,
                from,
                to,
                forced_by: forced_by.map(str::to_owned),
            },
            out,
        );
    }

    /// Moves an agent who is not on a call: a ringing call is taken back and re-routed, a
    /// wrap-up ends (finishing its call's record), and an agent who becomes ready is given the
    /// best waiting call. After a sign-out, a queue left without agents overflows its calls.
    fn move_agent(
        &mut self,
        now: i64,
        agent: u32,
        to: AgentState,
        forced_by: Option<&str>,
        out: &mut Vec<Output>,
    ) {
        let from = self.agents[agent as usize].state;
        match from {
            AgentState::Ringing { call } => {
                self.end_offer(now, call.0, OfferResult::Withdrawn, out);
                self.set_agent_state(now, agent, to, forced_by, out);
                self.requeue(now, call.0, out);
            }
            AgentState::WrapUp { call } => {
                if let Some(deadline) = self.agents[agent as usize].wrap_deadline_ms.take() {
                    self.timers.remove(&Timer {
                        at_ms: deadline,
                        kind: TimerKind::WrapUpEnd,
                        id: u64::from(agent),
                    });
                }
                self.set_agent_state(now, agent, to, forced_by, out);
                self.finish_answered(now, call.0, out);
            }
            _ => self.set_agent_state(now, agent, to, forced_by, out),
        }
        if to == AgentState::SignedOut {
            self.overflow_unstaffed_queues(now, agent, out);
        }
        if to == AgentState::Ready {
            self.route_agent(now, agent, out);
        }
    }

    fn overflow_unstaffed_queues(&mut self, now: i64, agent: u32, out: &mut Vec<Output>) {
        for qi in 0..self.agents[agent as usize].queues.len() {
            let q = self.agents[agent as usize].queues[qi] as usize;
            let slot = &self.queues[q];
            if !slot.config.overflow_when_no_agents || slot.signed_in > 0 || slot.waiting == 0 {
                continue;
            }
            let mut ids: Vec<WaitKey> = slot.waiting_any.iter().copied().collect();
            for levels in &slot.waiting_skill {
                for set in levels {
                    ids.extend(set.iter().copied());
                }
            }
            ids.sort();
            for key in ids {
                self.unqueue(key.call);
                self.overflow(now, key.call, OverflowReason::NoAgents, out);
            }
        }
    }

    /// Gives a ready agent the best waiting call, if any.
    fn route_agent(&mut self, now: i64, agent: u32, out: &mut Vec<Output>) {
        if self.agents[agent as usize].state != AgentState::Ready {
            return;
        }
        if let Some(call) = self.find_call_for(agent) {
            self.unqueue(call);
            self.offer(now, call, agent, out);
        }
    }

    /// Rings a ready agent with a call that is not in any bucket.
    fn offer(&mut self, now: i64, id: u64, agent: u32, out: &mut Vec<Output>) {
        let ring_deadline = now + i64::from(self.config.ring_timeout_seconds) * 1000;
        let (queue, attempt) = {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            call.phase = Phase::Ringing(agent);
            call.ring_since_ms = now;
            call.ring_deadline_ms = ring_deadline;
            (call.queue, call.offers.len() as u32 + 1)
        };
        self.timers.insert(Timer {
            at_ms: ring_deadline,
            kind: TimerKind::RingTimeout,
            id,
        });
        let a = &mut self.agents[agent as usize];
        a.counters.offered += 1;
        let position = a.position;
        let agent_id = a.id.clone();
        self.queues[queue as usize].rr_next = i64::from(position) + 1;
        self.emit(
            now,
            Event::CallOffered {
                call: CallId(id),
                agent: agent_id,
                attempt,
            },
            out,
        );
        self.set_agent_state(
            now,
            agent,
            AgentState::Ringing { call: CallId(id) },
            None,
            out,
        );
    }

    /// Closes the current ring of a ringing call with `result` (not `Answered`); the call is
    /// left waiting outside any bucket and the agent untouched.
    fn end_offer(&mut self, now: i64, id: u64, result: OfferResult, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::Ringing(agent) = call.phase else {
            return;
        };
        self.timers.remove(&Timer {
            at_ms: call.ring_deadline_ms,
            kind: TimerKind::RingTimeout,
            id,
        });
        let agent_id = self.agents[agent as usize].id.clone();
        call.offers.push(OfferAttempt {
            agent: agent_id.clone(),
            offered_at: to_dt(call.ring_since_ms),
            ended_at: to_dt(now),
            result,
        });
        call.phase = Phase::Waiting;
        if result == OfferResult::NoAnswer {
            self.agents[agent as usize].counters.no_answer += 1;
        }
        self.emit(
            now,
            Event::OfferEnded {
                call: CallId(id),
                agent: agent_id,
                result,
            },
            out,
        );
    }

    /// A ring ran out or was refused: the agent goes 未应答示忙 and the call tries again.
    fn ring_ended_unanswered(&mut self, now: i64, id: u64, agent: u32, out: &mut Vec<Output>) {
        self.end_offer(now, id, OfferResult::NoAnswer, out);
        self.set_agent_state(
            now,
            agent,
            AgentState::NotReady {
                cause: NotReadyCause::NoAnswer,
            },
            None,
            out,
        );
        self.requeue(now, id, out);
    }

    /// A call whose ring ended unanswered goes back to waiting, unless its time is up or its
    /// queue has nobody left.
    fn requeue(&mut self, now: i64, id: u64, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let q = &self.queues[call.queue as usize];
        if call.overflow_deadline_ms.is_some_and(|d| d <= now) {
            self.overflow(now, id, OverflowReason::WaitTooLong, out);
        } else if q.config.overflow_when_no_agents && q.signed_in == 0 {
            self.overflow(now, id, OverflowReason::NoAgents, out);
        } else {
            self.route_call(now, id, out);
        }
    }

    /// Rings the best ready agent for a waiting call, or puts it in its bucket.
    fn route_call(&mut self, now: i64, id: u64, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        match self.find_agent_for(call) {
            Some(agent) => self.offer(now, id, agent, out),
            None => self.queue_call(now, id, out),
        }
    }

    /// Puts a call no agent can take now in its bucket and says so.
    fn queue_call(&mut self, now: i64, id: u64, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let queue = call.queue as usize;
        self.enqueue(id);
        let waiting = self.queues[queue].waiting;
        self.emit(
            now,
            Event::CallQueued {
                call: CallId(id),
                waiting,
            },
            out,
        );
    }

    // ----- finishing calls ---------------------------------------------------------------

    fn overflow(&mut self, now: i64, id: u64, reason: OverflowReason, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let wait_seconds = seconds(now - call.arrived_ms);
        self.emit(
            now,
            Event::CallOverflowed {
                call: CallId(id),
                reason,
                wait_seconds,
            },
            out,
        );
        self.finish(now, id, CallOutcome::Overflowed, Some(reason), out);
    }

    /// Finishes an answered call whose wrap-up just ended.
    fn finish_answered(&mut self, now: i64, id: u64, out: &mut Vec<Output>) {
        let outcome = match self.calls.get(&id) {
            Some(c) if c.transferred => CallOutcome::Transferred,
            Some(_) => CallOutcome::Completed,
            None => return,
        };
        self.finish(now, id, outcome, None, out);
    }

    /// Removes a call, counts it and emits its record. The call must be out of every bucket.
    fn finish(
        &mut self,
        now: i64,
        id: u64,
        outcome: CallOutcome,
        overflow_reason: Option<OverflowReason>,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        for (deadline, kind) in [
            (call.overflow_deadline_ms, TimerKind::Overflow),
            (call.widen_deadline_ms, TimerKind::Widen),
        ] {
            if let Some(at_ms) = deadline {
                self.timers.remove(&Timer { at_ms, kind, id });
            }
        }
        self.by_provincial.remove(&call.provincial_call_id);
        let agent = match call.phase {
            Phase::Talking(a) | Phase::WrapUp(a) => Some(a),
            _ => None,
        };
        let ended_ms = call.ended_ms.unwrap_or(now);
        let wait_end = call.answered_ms.unwrap_or(ended_ms);
        let talk_ms = call.answered_ms.map_or(0, |a| (ended_ms - a).max(0));
        let wrap_ms = if call.answered_ms.is_some() {
            (now - ended_ms).max(0)
        } else {
            0
        };
        let counters = &mut self.queues[call.queue as usize].counters;
        match outcome {
            CallOutcome::Completed => counters.completed += 1,
            CallOutcome::Transferred => counters.transferred += 1,
            CallOutcome::Abandoned => counters.abandoned += 1,
            CallOutcome::ShortAbandoned => counters.short_abandoned += 1,
            CallOutcome::Overflowed => counters.overflowed += 1,
        }
        let agent_id = agent.map(|a| {
            let slot = &mut self.agents[a as usize];
            match outcome {
                CallOutcome::Transferred => slot.counters.transferred += 1,
                _ => slot.counters.completed += 1,
            }
            slot.counters.talk_ms += talk_ms as u64;
            slot.counters.wrap_up_ms += wrap_ms as u64;
            slot.id.clone()
        });
        let record = CallRecord {
            call_id: CallId(id),
            provincial_call_id: call.provincial_call_id,
            caller: call.caller,
            called: call.called,
            queue: self.queues[call.queue as usize].config.id.clone(),
            priority: call.priority,
            required_skill: call.required_skill,
            arrived_at: to_dt(call.arrived_ms),
            widened_at: call.widened_ms.map(to_dt),
            offers: call.offers,
            answered_at: call.answered_ms.map(to_dt),
            agent: agent_id,
            transfers: call.transfers,
            ended_at: to_dt(ended_ms),
            ended_by: call.ended_by,
            wrap_up_ended_at: call.answered_ms.map(|_| to_dt(now)),
            outcome,
            overflow_reason,
            wait_seconds: seconds(wait_end - call.arrived_ms),
            talk_seconds: seconds(talk_ms),
            wrap_up_seconds: seconds(wrap_ms),
            satisfaction: call.satisfaction,
        };
        self.recent.insert(
            id,
            RecentCall {
                agent,
                rated: call.satisfaction.is_some(),
            },
        );
        self.recent_order.push_back((now, id));
        self.emit(
            now,
            Event::CallFinished {
                record: Box::new(record),
            },
            out,
        );
    }

    /// The conversation is over for the agent: wrap-up starts (or, with no wrap-up time, the
    /// call finishes and the agent is ready at once).
    fn start_wrap_up(&mut self, now: i64, id: u64, agent: u32, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let queue = &self.queues[call.queue as usize].config;
        let wrap_s = queue.wrap_up_seconds.unwrap_or(self.config.wrap_up_seconds);
        call.phase = Phase::WrapUp(agent);
        if wrap_s == 0 {
            self.set_agent_state(now, agent, AgentState::Ready, None, out);
            self.finish_answered(now, id, out);
            self.route_agent(now, agent, out);
            return;
        }
        let deadline = now + i64::from(wrap_s) * 1000;
        self.agents[agent as usize].wrap_deadline_ms = Some(deadline);
        self.timers.insert(Timer {
            at_ms: deadline,
            kind: TimerKind::WrapUpEnd,
            id: u64::from(agent),
        });
        self.set_agent_state(
            now,
            agent,
            AgentState::WrapUp { call: CallId(id) },
            None,
            out,
        );
    }

    // ----- commands -----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn call_arrives(
        &mut self,
        now: i64,
        provincial_call_id: String,
        caller: String,
        called: String,
        queue: &QueueId,
        required_skill: Option<SkillNeed>,
        priority: Priority,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let q = *self
            .queue_index
            .get(queue)
            .ok_or_else(|| AcdError::Unknown {
                entity: Entity::Queue,
                id: queue.0.clone(),
            })?;
        check_text("provincial_call_id", &provincial_call_id, true)?;
        check_text("caller", &caller, false)?;
        check_text("called", &called, false)?;
        if let Some(need) = &required_skill {
            check_text("skill", &need.skill.0, true)?;
            check_level(need.min_level)?;
            self.check_skill_capacity(std::iter::once(&need.skill))?;
        }
        if let Some(existing) = self.by_provincial.get(&provincial_call_id) {
            return Err(AcdError::conflict(
                format!("provincial call {provincial_call_id} is already live as call {existing}"),
                "live",
            ));
        }
        // Accepted: from here on nothing fails.
        let id = self.next_call;
        self.next_call += 1;
        let need = required_skill
            .as_ref()
            .map(|n| (self.intern_skill(&n.skill), n.min_level));
        let qc = &self.queues[q as usize].config;
        let overflow_deadline_ms = qc.overflow_after_seconds.map(|s| now + i64::from(s) * 1000);
        let widen_after = i64::from(qc.widen_after_seconds) * 1000;
        let (widened_ms, widen_deadline_ms) = match need {
            None => (None, None),
            Some(_) if widen_after == 0 => (Some(now), None),
            Some(_) => (None, Some(now + widen_after)),
        };
        self.by_provincial.insert(provincial_call_id.clone(), id);
        self.calls.insert(
            id,
            LiveCall {
                provincial_call_id,
                caller,
                called,
                queue: q,
                priority,
                required_skill,
                need,
                arrived_ms: now,
                widened_ms,
                phase: Phase::Waiting,
                ring_since_ms: now,
                ring_deadline_ms: now,
                offers: Vec::new(),
                answered_ms: None,
                ended_ms: None,
                ended_by: None,
                transferred: false,
                transfers: Vec::new(),
                satisfaction: None,
                overflow_deadline_ms,
                widen_deadline_ms,
            },
        );
        self.queues[q as usize].counters.arrived += 1;
        self.emit(
            now,
            Event::CallArrived {
                call: CallId(id),
                queue: queue.clone(),
            },
            out,
        );
        let slot = &self.queues[q as usize];
        if slot.config.overflow_when_no_agents && slot.signed_in == 0 {
            self.overflow(now, id, OverflowReason::NoAgents, out);
            return Ok(());
        }
        if overflow_deadline_ms.is_some_and(|d| d <= now) {
            // Overflow after 0 s: the call may ring a ready agent but never waits.
            if let Some(agent) = self.calls.get(&id).and_then(|c| self.find_agent_for(c)) {
                self.offer(now, id, agent, out);
            } else {
                self.overflow(now, id, OverflowReason::WaitTooLong, out);
            }
            return Ok(());
        }
        for (deadline, kind) in [
            (overflow_deadline_ms, TimerKind::Overflow),
            (widen_deadline_ms, TimerKind::Widen),
        ] {
            if let Some(at_ms) = deadline {
                self.timers.insert(Timer { at_ms, kind, id });
            }
        }
        let agent = self.calls.get(&id).and_then(|c| self.find_agent_for(c));
        let slot = &self.queues[q as usize];
        match agent {
            Some(agent) => self.offer(now, id, agent, out),
            None if slot.config.max_waiting.is_some_and(|m| slot.waiting >= m) => {
                self.overflow(now, id, OverflowReason::QueueFull, out);
            }
            None => self.queue_call(now, id, out),
        }
        Ok(())
    }

    fn caller_abandons(
        &mut self,
        now: i64,
        call: CallId,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let c = self.live_call(call)?;
        let ringing_agent = match c.phase {
            Phase::Waiting => None,
            Phase::Ringing(a) => Some(a),
            other => {
                return Err(AcdError::conflict(
                    "the call was answered; report the end of the call instead",
                    Self::phase_name(other),
                ));
            }
        };
        let wait_ms = now - c.arrived_ms;
        match ringing_agent {
            None => self.unqueue(call.0),
            Some(_) => self.end_offer(now, call.0, OfferResult::CallerAbandoned, out),
        }
        let short = wait_ms < i64::from(self.config.short_abandon_seconds) * 1000;
        self.emit(
            now,
            Event::CallAbandoned {
                call,
                short,
                wait_seconds: seconds(wait_ms),
            },
            out,
        );
        let outcome = if short {
            CallOutcome::ShortAbandoned
        } else {
            CallOutcome::Abandoned
        };
        self.finish(now, call.0, outcome, None, out);
        if let Some(agent) = ringing_agent {
            self.set_agent_state(now, agent, AgentState::Ready, None, out);
            self.route_agent(now, agent, out);
        }
        Ok(())
    }

    fn sign_in(
        &mut self,
        now: i64,
        agent: AgentId,
        seat: Option<String>,
        skills: Vec<AgentSkill>,
        queues: &[QueueId],
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        check_text("agent", &agent.0, true)?;
        if let Some(seat) = &seat {
            check_text("seat", seat, false)?;
        }
        let existing = self.agent_index.get(&agent).copied();
        if let Some(a) = existing
            && self.agents[a as usize].state != AgentState::SignedOut
        {
            return Err(self.agent_state_conflict(a, "agent is already signed in"));
        }
        if existing.is_none() && self.agents.len() >= MAX_AGENTS {
            return Err(AcdError::invalid("too many agents"));
        }
        let mut queue_idx: Vec<u16> = Vec::with_capacity(queues.len());
        for q in queues {
            let i = *self.queue_index.get(q).ok_or_else(|| AcdError::Unknown {
                entity: Entity::Queue,
                id: q.0.clone(),
            })?;
            queue_idx.push(i);
        }
        if queue_idx.is_empty() {
            queue_idx = (0..self.queues.len() as u16).collect();
        }
        queue_idx.sort_unstable();
        queue_idx.dedup();
        // One entry per skill, at the highest level given.
        let mut merged: Vec<AgentSkill> = Vec::with_capacity(skills.len());
        for s in skills {
            check_text("skill", &s.skill.0, true)?;
            check_level(s.level)?;
            match merged.iter_mut().find(|m| m.skill == s.skill) {
                Some(m) => m.level = m.level.max(s.level),
                None => merged.push(s),
            }
        }
        if merged.len() > MAX_SKILLS_PER_AGENT {
            return Err(AcdError::invalid(format!(
                "more than {MAX_SKILLS_PER_AGENT} skills for one agent"
            )));
        }
        self.check_skill_capacity(merged.iter().map(|s| &s.skill))?;
        // Accepted.
        let skill_levels = merged
            .iter()
            .map(|s| (self.intern_skill(&s.skill), s.level))
            .collect();
        let idx = match existing {
            Some(a) => a,
            None => {
                let idx = self.agents.len() as u32;
                self.agents.push(AgentSlot {
                    id: agent.clone(),
                    seat: None,
                    state: AgentState::SignedOut,
                    state_since_ms: now,
                    skills: Vec::new(),
                    skill_levels: Vec::new(),
                    queues: Vec::new(),
                    position: idx,
                    idle_since_ms: now,
                    idle_calls: 0,
                    local_day: local_day(now),
                    answered_today: 0,
                    wrap_deadline_ms: None,
                    counters: AgentCounters::default(),
                    time_in_state: TimeInState::default(),
                });
                self.agent_index.insert(agent, idx);
                idx
            }
        };
        let a = &mut self.agents[idx as usize];
        a.seat = seat;
        a.skills = merged;
        a.skill_levels = skill_levels;
        a.queues = queue_idx;
        self.set_agent_state(
            now,
            idx,
            AgentState::NotReady {
                cause: NotReadyCause::SignedIn,
            },
            None,
            out,
        );
        Ok(())
    }

    fn sign_out(
        &mut self,
        now: i64,
        agent: &AgentId,
        forced_by: Option<&str>,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        match self.agents[a as usize].state {
            AgentState::SignedOut => {
                return Err(self.agent_state_conflict(a, "agent is already signed out"));
            }
            AgentState::OnCall { .. } => {
                return Err(self.agent_state_conflict(a, "agent is on a call"));
            }
            _ => {}
        }
        self.move_agent(now, a, AgentState::SignedOut, forced_by, out);
        Ok(())
    }

    fn agent_ready(
        &mut self,
        now: i64,
        agent: &AgentId,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        match self.agents[a as usize].state {
            AgentState::NotReady { .. }
            | AgentState::OnBreak { .. }
            | AgentState::WrapUp { .. } => {
                self.move_agent(now, a, AgentState::Ready, None, out);
                Ok(())
            }
            AgentState::Ready => Err(self.agent_state_conflict(a, "agent is already ready")),
            _ => Err(self.agent_state_conflict(a, "agent cannot be made ready now")),
        }
    }

    fn agent_not_ready(
        &mut self,
        now: i64,
        agent: &AgentId,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        let to = AgentState::NotReady {
            cause: NotReadyCause::Manual,
        };
        match self.agents[a as usize].state {
            s if s == to => Err(self.agent_state_conflict(a, "agent is already not ready")),
            AgentState::Ready
            | AgentState::NotReady { .. }
            | AgentState::OnBreak { .. }
            | AgentState::WrapUp { .. } => {
                self.move_agent(now, a, to, None, out);
                Ok(())
            }
            _ => Err(self.agent_state_conflict(a, "agent cannot be made not ready now")),
        }
    }

    fn agent_break(
        &mut self,
        now: i64,
        agent: &AgentId,
        reason: BreakReason,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        let to = AgentState::OnBreak { reason };
        match self.agents[a as usize].state {
            s if s == to => Err(self.agent_state_conflict(a, "agent is already on that break")),
            AgentState::Ready
            | AgentState::NotReady { .. }
            | AgentState::OnBreak { .. }
            | AgentState::WrapUp { .. } => {
                self.move_agent(now, a, to, None, out);
                Ok(())
            }
            _ => Err(self.agent_state_conflict(a, "agent cannot go on break now")),
        }
    }

    fn force_state(
        &mut self,
        now: i64,
        agent: &AgentId,
        state: ForcedState,
        by: &str,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        check_text("by", by, true)?;
        let a = self.agent_idx(agent)?;
        let from = self.agents[a as usize].state;
        let to = match state {
            ForcedState::Ready => AgentState::Ready,
            ForcedState::NotReady => AgentState::NotReady {
                cause: NotReadyCause::Manual,
            },
            ForcedState::OnBreak { reason } => AgentState::OnBreak { reason },
            ForcedState::SignedOut => AgentState::SignedOut,
        };
        if matches!(from, AgentState::OnCall { .. }) {
            return Err(self.agent_state_conflict(a, "agent is on a call"));
        }
        if from == AgentState::SignedOut {
            return Err(self.agent_state_conflict(a, "agent is signed out; they sign in at a seat"));
        }
        if from == to {
            return Err(self.agent_state_conflict(a, "agent is already in that state"));
        }
        if to == AgentState::Ready && matches!(from, AgentState::Ringing { .. }) {
            return Err(self.agent_state_conflict(a, "agent is being rung; already available"));
        }
        self.move_agent(now, a, to, Some(by), out);
        Ok(())
    }

    /// The call must be ringing at exactly this agent.
    fn ringing_pair(&self, call: CallId, agent: &AgentId) -> Result<u32, AcdError> {
        let c = self.live_call(call)?;
        let a = self.agent_idx(agent)?;
        match c.phase {
            Phase::Ringing(r) if r == a => Ok(a),
            Phase::Ringing(_) => Err(AcdError::conflict(
                format!("call {call} is ringing at another agent"),
                "ringing",
            )),
            other => Err(AcdError::conflict(
                format!("call {call} is not ringing"),
                Self::phase_name(other),
            )),
        }
    }

    fn agent_answers(
        &mut self,
        now: i64,
        call: CallId,
        agent: &AgentId,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.ringing_pair(call, agent)?;
        let id = call.0;
        let Some(c) = self.calls.get_mut(&id) else {
            return Ok(());
        };
        for (at_ms, kind) in [
            (Some(c.ring_deadline_ms), TimerKind::RingTimeout),
            (c.overflow_deadline_ms, TimerKind::Overflow),
            (c.widen_deadline_ms.take(), TimerKind::Widen),
        ] {
            if let Some(at_ms) = at_ms {
                self.timers.remove(&Timer { at_ms, kind, id });
            }
        }
        c.offers.push(OfferAttempt {
            agent: agent.clone(),
            offered_at: to_dt(c.ring_since_ms),
            ended_at: to_dt(now),
            result: OfferResult::Answered,
        });
        c.phase = Phase::Talking(a);
        c.answered_ms = Some(now);
        c.overflow_deadline_ms = None;
        let wait_seconds = seconds(now - c.arrived_ms);
        let queue = c.queue;
        self.queues[queue as usize].counters.answered += 1;
        let slot = &mut self.agents[a as usize];
        slot.counters.answered += 1;
        let day = local_day(now);
        if slot.local_day != day {
            slot.local_day = day;
            slot.answered_today = 0;
        }
        slot.answered_today += 1;
        self.emit(
            now,
            Event::CallAnswered {
                call,
                agent: agent.clone(),
                wait_seconds,
            },
            out,
        );
        self.set_agent_state(now, a, AgentState::OnCall { call }, None, out);
        Ok(())
    }

    fn ring_no_answer(
        &mut self,
        now: i64,
        call: CallId,
        agent: &AgentId,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.ringing_pair(call, agent)?;
        self.ring_ended_unanswered(now, call.0, a, out);
        Ok(())
    }

    fn talking_agent(&self, call: CallId) -> Result<u32, AcdError> {
        match self.live_call(call)?.phase {
            Phase::Talking(a) => Ok(a),
            other => Err(AcdError::conflict(
                format!("call {call} is not in conversation"),
                Self::phase_name(other),
            )),
        }
    }

    fn transfer(
        &mut self,
        now: i64,
        call: CallId,
        target: TransferTarget,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.talking_agent(call)?;
        if let TransferTarget::Department { number } | TransferTarget::ThreeWay { number } = &target
        {
            check_text("number", number, true)?;
        }
        let releases = target.releases_agent();
        if let Some(c) = self.calls.get_mut(&call.0) {
            c.transfers.push(TransferStep {
                at: to_dt(now),
                target: target.clone(),
            });
            if releases {
                c.transferred = true;
                c.ended_ms = Some(now);
            }
        }
        let agent = self.agents[a as usize].id.clone();
        self.emit(
            now,
            Event::CallTransferred {
                call,
                agent,
                target,
            },
            out,
        );
        if releases {
            self.start_wrap_up(now, call.0, a, out);
        }
        Ok(())
    }

    fn call_ends(
        &mut self,
        now: i64,
        call: CallId,
        by: HangupSide,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let c = self.live_call(call)?;
        let a = match (c.phase, by) {
            (Phase::Talking(a), _) => a,
            (Phase::Waiting | Phase::Ringing(_), HangupSide::Caller) => {
                return self.caller_abandons(now, call, out);
            }
            (other, _) => {
                return Err(AcdError::conflict(
                    format!("call {call} is not in conversation"),
                    Self::phase_name(other),
                ));
            }
        };
        let talk_seconds = seconds(now - c.answered_ms.unwrap_or(now));
        if let Some(c) = self.calls.get_mut(&call.0) {
            c.ended_ms = Some(now);
            c.ended_by = Some(by);
        }
        let agent = self.agents[a as usize].id.clone();
        self.emit(
            now,
            Event::CallEnded {
                call,
                agent,
                by,
                talk_seconds,
            },
            out,
        );
        self.start_wrap_up(now, call.0, a, out);
        Ok(())
    }

    fn wrap_up_ends(
        &mut self,
        now: i64,
        agent: &AgentId,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        if !matches!(self.agents[a as usize].state, AgentState::WrapUp { .. }) {
            return Err(self.agent_state_conflict(a, "agent is not in wrap-up"));
        }
        self.move_agent(now, a, AgentState::Ready, None, out);
        Ok(())
    }

    fn satisfaction(
        &mut self,
        now: i64,
        call: CallId,
        rating: Satisfaction,
        out: &mut Vec<Output>,
    ) -> Result<(), AcdError> {
        let agent = if let Some(c) = self.calls.get_mut(&call.0) {
            let Phase::WrapUp(a) = c.phase else {
                return Err(AcdError::conflict(
                    format!("call {call} has not ended"),
                    Self::phase_name(c.phase),
                ));
            };
            if c.satisfaction.is_some() {
                return Err(AcdError::conflict("call is already rated", "rated"));
            }
            c.satisfaction = Some(rating);
            a
        } else if let Some(r) = self.recent.get_mut(&call.0) {
            let Some(a) = r.agent else {
                return Err(AcdError::conflict(
                    format!("call {call} was not answered"),
                    "finished",
                ));
            };
            if r.rated {
                return Err(AcdError::conflict("call is already rated", "rated"));
            }
            r.rated = true;
            a
        } else {
            return Err(AcdError::Unknown {
                entity: Entity::Call,
                id: call.to_string(),
            });
        };
        let agent = Some(self.agents[agent as usize].id.clone());
        self.emit(
            now,
            Event::SatisfactionRecorded {
                call,
                agent,
                rating,
            },
            out,
        );
        Ok(())
    }

    // ----- views --------------------------------------------------------------------------

    /// The engine id of the live call with this provincial call id.
    pub fn call_id_by_provincial(&self, provincial_call_id: &str) -> Option<CallId> {
        self.by_provincial
            .get(provincial_call_id)
            .map(|&id| CallId(id))
    }

    pub fn call(&self, call: CallId) -> Option<CallView> {
        self.calls.get(&call.0).map(|c| self.call_view(call.0, c))
    }

    /// Every live call (waiting, ringing, talking or in wrap-up), oldest first.
    pub fn live_calls(&self) -> Vec<CallView> {
        let mut v: Vec<CallView> = self
            .calls
            .iter()
            .map(|(&id, c)| self.call_view(id, c))
            .collect();
        v.sort_by_key(|c| c.call);
        v
    }

    fn call_view(&self, id: u64, c: &LiveCall) -> CallView {
        let (phase, agent) = match c.phase {
            Phase::Waiting => (CallPhase::Waiting, None),
            Phase::Ringing(a) => (CallPhase::Ringing, Some(a)),
            Phase::Talking(a) => (CallPhase::Talking, Some(a)),
            Phase::WrapUp(a) => (CallPhase::WrapUp, Some(a)),
        };
        let ringing = u32::from(matches!(c.phase, Phase::Ringing(_)));
        CallView {
            call: CallId(id),
            provincial_call_id: c.provincial_call_id.clone(),
            caller: c.caller.clone(),
            queue: self.queues[c.queue as usize].config.id.clone(),
            priority: c.priority,
            required_skill: c.required_skill.clone(),
            widened: c.widened_ms.is_some(),
            phase,
            agent: agent.map(|a| self.agents[a as usize].id.clone()),
            arrived_at: to_dt(c.arrived_ms),
            answered_at: c.answered_ms.map(to_dt),
            offers: c.offers.len() as u32 + ringing,
        }
    }

    /// One agent, with time in state counted up to `now`.
    pub fn agent(&self, agent: &AgentId, now: DateTime<Utc>) -> Option<AgentView> {
        let a = *self.agent_index.get(agent)?;
        Some(self.agent_view(a, now))
    }

    /// Every agent the engine has seen, in sign-in order.
    pub fn agents(&self, now: DateTime<Utc>) -> Vec<AgentView> {
        (0..self.agents.len() as u32)
            .map(|a| self.agent_view(a, now))
            .collect()
    }

    fn agent_view(&self, a: u32, now: DateTime<Utc>) -> AgentView {
        let slot = &self.agents[a as usize];
        let mut time_in_state = slot.time_in_state;
        let spent = (now.timestamp_millis() - slot.state_since_ms).max(0) as u64;
        time_in_state.add(slot.state, spent);
        AgentView {
            id: slot.id.clone(),
            seat: slot.seat.clone(),
            state: slot.state,
            state_label_zh: slot.state.label_zh(),
            state_since: to_dt(slot.state_since_ms),
            skills: slot.skills.clone(),
            queues: slot
                .queues
                .iter()
                .map(|&q| self.queues[q as usize].config.id.clone())
                .collect(),
            counters: slot.counters,
            time_in_state,
            answered_today: if slot.local_day == local_day(now.timestamp_millis()) {
                slot.answered_today
            } else {
                0
            },
        }
    }

    /// Every queue, with live counts and the longest current wait up to `now`.
    pub fn queues(&self, now: DateTime<Utc>) -> Vec<QueueView> {
        let now_ms = now.timestamp_millis();
        let mut views: Vec<QueueView> = self
            .queues
            .iter()
            .map(|q| QueueView {
                id: q.config.id.clone(),
                name_zh: q.config.name_zh.clone(),
                strategy: q.config.strategy,
                waiting: q.waiting,
                ringing: 0,
                talking: 0,
                longest_wait_seconds: 0.0,
                signed_in_agents: q.signed_in,
                ready_agents: q.idle_any.len() as u32,
                counters: q.counters,
            })
            .collect();
        for c in self.calls.values() {
            let v = &mut views[c.queue as usize];
            match c.phase {
                Phase::Ringing(_) => v.ringing += 1,
                Phase::Talking(_) => v.talking += 1,
                _ => {}
            }
            if matches!(c.phase, Phase::Waiting | Phase::Ringing(_)) {
                v.longest_wait_seconds = v
                    .longest_wait_seconds
                    .max(seconds((now_ms - c.arrived_ms).max(0)));
            }
        }
        views
    }

    /// Number of live calls.
    pub fn live_call_count(&self) -> usize {
        self.calls.len()
    }

    /// Number of agents not signed out.
    pub fn signed_in_agent_count(&self) -> usize {
        self.agents
            .iter()
            .filter(|a| a.state != AgentState::SignedOut)
            .count()
    }

    // ----- invariants ---------------------------------------------------------------------

    /// Checks every internal invariant; O(agents × skills + calls). For tests and for a
    /// debug assertion in the server, not for every event in production.
    ///
    /// Invariant: an agent's state and its call's phase name each other (so no agent holds
    /// two calls and no call is with two agents).
    /// Invariant: exactly the ready agents are in the routing sets, under the right keys.
    /// Invariant: exactly the waiting calls are in the queue buckets, counted right.
    /// Invariant: no ready agent could take a waiting call (routing is never left undone).
    /// Invariant: every pending timer belongs to a live call or agent and none is overdue.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut idle_entries = vec![0usize; self.queues.len()];
        let mut signed_in = vec![0u32; self.queues.len()];
        for (i, a) in self.agents.iter().enumerate() {
            let i = i as u32;
            if a.state != AgentState::SignedOut {
                for &q in &a.queues {
                    signed_in[q as usize] += 1;
                }
            }
            if let Some(call) = a.state.call() {
                let c = self
                    .calls
                    .get(&call.0)
                    .ok_or_else(|| format!("agent {} holds finished call {call}", a.id))?;
                let ok = matches!(
                    (a.state, c.phase),
                    (AgentState::Ringing { .. }, Phase::Ringing(x))
                        | (AgentState::OnCall { .. }, Phase::Talking(x))
                        | (AgentState::WrapUp { .. }, Phase::WrapUp(x)) if x == i
                );
                if !ok {
                    return Err(format!("agent {} and call {call} disagree", a.id));
                }
            }
            let wrap_timer = a.wrap_deadline_ms.map(|at_ms| Timer {
                at_ms,
                kind: TimerKind::WrapUpEnd,
                id: u64::from(i),
            });
            match (a.state, wrap_timer) {
                (AgentState::WrapUp { .. }, Some(t)) if self.timers.contains(&t) => {}
                (AgentState::WrapUp { .. }, _) => {
                    return Err(format!("agent {} in wrap-up without its timer", a.id));
                }
                (_, Some(_)) => return Err(format!("agent {} keeps a wrap-up deadline", a.id)),
                _ => {}
            }
            let ready = a.state == AgentState::Ready;
            for &q in &a.queues {
                let key = self.idle_key(i, q);
                let slot = &self.queues[q as usize];
                if slot.idle_any.contains(&key) != ready {
                    return Err(format!("agent {} wrongly (not) in idle set", a.id));
                }
                for &(s, l) in &a.skill_levels {
                    if slot.idle_skill[s as usize][l as usize - 1].contains(&key) != ready {
                        return Err(format!("agent {} wrongly (not) in skill set", a.id));
                    }
                }
                if ready {
                    idle_entries[q as usize] += 1 + a.skill_levels.len();
                }
            }
            if ready && let Some(call) = self.find_call_for(i) {
                return Err(format!("agent {} is ready while call {call} waits", a.id));
            }
        }
        let mut waiting = vec![0u32; self.queues.len()];
        for (&id, c) in &self.calls {
            if self.by_provincial.get(&c.provincial_call_id) != Some(&id) {
                return Err(format!("call {id} missing from the provincial index"));
            }
            let agent = match c.phase {
                Phase::Waiting => {
                    waiting[c.queue as usize] += 1;
                    let slot = &self.queues[c.queue as usize];
                    let key = c.wait_key(id);
                    let present = match c.bucket() {
                        None => slot.waiting_any.contains(&key),
                        Some((s, m)) => {
                            slot.waiting_skill[s as usize][m as usize - 1].contains(&key)
                        }
                    };
                    if !present {
                        return Err(format!("waiting call {id} not in its bucket"));
                    }
                    if self.find_agent_for(c).is_some() {
                        return Err(format!("call {id} waits while an agent could take it"));
                    }
                    None
                }
                Phase::Ringing(a) => {
                    let t = Timer {
                        at_ms: c.ring_deadline_ms,
                        kind: TimerKind::RingTimeout,
                        id,
                    };
                    if !self.timers.contains(&t) {
                        return Err(format!("ringing call {id} without ring timer"));
                    }
                    Some((a, AgentState::Ringing { call: CallId(id) }))
                }
                Phase::Talking(a) => Some((a, AgentState::OnCall { call: CallId(id) })),
                Phase::WrapUp(a) => Some((a, AgentState::WrapUp { call: CallId(id) })),
            };
            if let Some((a, expected)) = agent
                && self.agents.get(a as usize).map(|s| s.state) != Some(expected)
            {
                return Err(format!("call {id} and its agent disagree"));
            }
        }
        if self.by_provincial.len() != self.calls.len() {
            return Err("provincial index holds finished calls".into());
        }
        for (qi, q) in self.queues.iter().enumerate() {
            if q.waiting != waiting[qi] {
                return Err(format!(
                    "queue {} counts {} waiting, has {}",
                    q.config.id, q.waiting, waiting[qi]
                ));
            }
            let bucketed = q.waiting_any.len()
                + q.waiting_skill
                    .iter()
                    .flat_map(|l| l.iter())
                    .map(BTreeSet::len)
                    .sum::<usize>();
            if bucketed != waiting[qi] as usize {
                return Err(format!("queue {} buckets hold stale calls", q.config.id));
            }
            let idle = q.idle_any.len()
                + q.idle_skill
                    .iter()
                    .flat_map(|l| l.iter())
                    .map(BTreeSet::len)
                    .sum::<usize>();
            if idle != idle_entries[qi] {
                return Err(format!("queue {} idle sets hold stale agents", q.config.id));
            }
            if q.signed_in != signed_in[qi] {
                return Err(format!("queue {} signed-in count is wrong", q.config.id));
            }
        }
        for t in &self.timers {
            if t.at_ms <= self.now_ms {
                return Err(format!("timer {t:?} is overdue"));
            }
            let live = match t.kind {
                TimerKind::WrapUpEnd => self
                    .agents
                    .get(t.id as usize)
                    .is_some_and(|a| a.wrap_deadline_ms == Some(t.at_ms)),
                TimerKind::RingTimeout => self.calls.get(&t.id).is_some_and(|c| {
                    matches!(c.phase, Phase::Ringing(_)) && c.ring_deadline_ms == t.at_ms
                }),
                TimerKind::Widen => self
                    .calls
                    .get(&t.id)
                    .is_some_and(|c| c.widen_deadline_ms == Some(t.at_ms)),
                TimerKind::Overflow => self.calls.get(&t.id).is_some_and(|c| {
                    c.answered_ms.is_none() && c.overflow_deadline_ms == Some(t.at_ms)
                }),
            };
            if !live {
                return Err(format!("timer {t:?} belongs to nothing live"));
            }
        }
        Ok(())
    }
}
