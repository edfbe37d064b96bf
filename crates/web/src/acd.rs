//! The live ACD of the server: one [`rexian_acd::Engine`] per sub-platform, behind a tokio
//! mutex, fed by the CTI API and ticked by a background task at the engine's next deadline.
//!
//! Everything an accepted input caused (its journal entry, agent events, finished calls,
//! late ratings) is queued for storage as one write while the engine is still locked, so
//! the store sees records in the engine's order and a rating that arrives later always
//! finds its call stored; the request is answered once that write committed, with the
//! engine unlocked meanwhile, so many inputs share one commit (group commit in the store).
//! Every output is also broadcast to the server-sent event stream of the wall board.
//!
//! Invariant: the engine's time only moves forward: inputs are stamped with the server clock
//! (or the `at` the telephony sent, refused with 409 if older than the engine's time), and
//! the ticker ticks at the deadline itself, never ahead of it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rexian_acd::{
    AcdConfig, AcdError, AgentState, CallId, CallRecord, Engine, Event, Input, Output,
};
use rexian_domain::{Actor, AggregateRef, Clock};
use rexian_store::{AcdStep, JournalEvent, NewCall, PendingWrite, Store, StoreError};
use tokio::sync::{Mutex, broadcast};

/// What the engine of one sub-platform did in one step, for the live stream.
#[derive(Debug, Clone)]
pub struct AcdUpdate {
    pub platform_id: i64,
    pub outputs: Arc<Vec<Output>>,
}

/// The live engines of every sub-platform of the installation.
pub struct LiveAcd {
    config: AcdConfig,
    engines: std::sync::Mutex<HashMap<i64, Arc<Mutex<PlatformAcd>>>>,
    updates: broadcast::Sender<AcdUpdate>,
}

/// One sub-platform's engine and the finished calls a rating may still arrive for.
pub struct PlatformAcd {
    pub engine: Engine,
    /// Provincial call id → engine call id, of calls finished in the rating window.
    finished: HashMap<String, u64>,
    finished_ids: HashMap<u64, String>,
    finished_order: VecDeque<(DateTime<Utc>, u64)>,
}

impl PlatformAcd {
    fn new(engine: Engine) -> PlatformAcd {
        PlatformAcd {
            engine,
            finished: HashMap::new(),
            finished_ids: HashMap::new(),
            finished_order: VecDeque::new(),
        }
    }

    /// The engine id of a finished call still in the rating window.
    pub fn finished_call(&self, provincial_call_id: &str) -> Option<CallId> {
        self.finished.get(provincial_call_id).map(|&id| CallId(id))
    }

    fn remember_finished(&mut self, record: &CallRecord, window_seconds: u32) {
        let id = record.call_id.0;
        let at = record.wrap_up_ended_at.unwrap_or(record.ended_at);
        self.finished.insert(record.provincial_call_id.clone(), id);
        self.finished_ids
            .insert(id, record.provincial_call_id.clone());
        self.finished_order.push_back((at, id));
        let horizon = at - chrono::Duration::seconds(i64::from(window_seconds) + 60);
        while let Some(&(t, old)) = self.finished_order.front() {
            if t >= horizon {
                break;
            }
            self.finished_order.pop_front();
            if let Some(pid) = self.finished_ids.remove(&old) {
                self.finished.remove(&pid);
            }
        }
    }
}

/// Why an input was not applied.
#[derive(Debug)]
pub enum ApplyError {
    Engine(AcdError),
    Store(StoreError),
}

impl From<StoreError> for ApplyError {
    fn from(e: StoreError) -> Self {
        ApplyError::Store(e)
    }
}

/// An input applied to an engine whose effects are queued for storage.
pub struct Applied {
    platform_id: i64,
    outputs: Vec<Output>,
    pending: PendingWrite,
}

impl Applied {
    /// The outputs, once everything they caused is committed. If the write failed, the
    /// engine (ahead of its journal) is rebuilt from what is stored. Call it with the
    /// engine unlocked.
    pub async fn committed(
        self,
        live: &LiveAcd,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<Vec<Output>, ApplyError> {
        if let Err(e) = self.pending.committed().await {
            if let Ok(slot) = live.platform(self.platform_id) {
                let mut acd = slot.lock().await;
                live.recover(store, self.platform_id, &mut acd, &e, now)
                    .await;
            }
            return Err(ApplyError::Store(e));
        }
        Ok(self.outputs)
    }
}

/// Agent state changes written to the event log: sign-in and sign-out, breaks, not ready
/// (by hand or after a ring went unanswered), back to ready from those, and everything the
/// shift leader forced. The call-driven round (ready → ringing → on call → wrap-up → ready)
/// is in the call records already.
fn agent_change_is_logged(from: &AgentState, to: &AgentState, forced: bool) -> bool {
    use AgentState as S;
    forced
        || matches!(from, S::SignedOut | S::NotReady { .. } | S::OnBreak { .. })
        || matches!(to, S::SignedOut | S::NotReady { .. } | S::OnBreak { .. })
}

/// How `settle` treats the outputs of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not journaled (a timer tick, a refused input): agent changes are logged here.
    Live,
    /// Replayed from the journal on start: only missing call records are stored.
    Replay,
}

/// What the outputs of one engine step leave to store.
struct StepRecords {
    /// Calls the step finished, in the stored form.
    finished_calls: Vec<NewCall>,
    /// Ratings (provincial call id, rating code) of calls that had finished before.
    ratings: Vec<(String, String)>,
    /// Agent state changes to log (see `agent_change_is_logged`).
    agent_events: Vec<JournalEvent>,
}

impl PlatformAcd {
    /// The records of a step's outputs; finished calls are remembered for late ratings.
    fn records_of(&mut self, out: &[Output], window_seconds: u32) -> StepRecords {
        let mut r = StepRecords {
            finished_calls: Vec::new(),
            ratings: Vec::new(),
            agent_events: Vec::new(),
        };
        for o in out {
            match &o.event {
                Event::CallFinished { record } => {
                    self.remember_finished(record, window_seconds);
                    r.finished_calls.push(new_call_from_record(record));
                }
                // The call had finished and is stored: rate the stored record.
                Event::SatisfactionRecorded { call, rating, .. }
                    if self.engine.call(*call).is_none() =>
                {
                    if let Some(key) = self.finished_ids.get(&call.0) {
                        r.ratings.push((key.clone(), rating.code().to_owned()));
                    }
                }
                Event::AgentStateChanged {
                    agent,
                    from,
                    to,
                    forced_by,
                } if agent_change_is_logged(from, to, forced_by.is_some()) => {
                    r.agent_events.push(JournalEvent {
                        aggregate: AggregateRef::new("agent", agent.as_str()),
                        event_type: "agent.state_changed".into(),
                        payload: serde_json::json!({
                            "at": o.at, "from": from, "to": to, "forced_by": forced_by,
                        }),
                    });
                }
                _ => {}
            }
        }
        r
    }
}

/// The start (UTC) of the Beijing day of `now`.
fn beijing_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    const OFFSET: i64 = 8 * 3600;
    let local = now.timestamp() + OFFSET;
    DateTime::from_timestamp(local - local.rem_euclid(86_400) - OFFSET, 0).unwrap_or(now)
}

/// No live call and no agent signed in: replay may start after this point.
fn is_idle(engine: &Engine) -> bool {
    engine.live_call_count() == 0 && engine.signed_in_agent_count() == 0
}

/// The stored form of a finished call of the live engine.
pub fn new_call_from_record(record: &CallRecord) -> NewCall {
    NewCall {
        source: "cti".into(),
        dedup_key: record.provincial_call_id.clone(),
        caller: record.caller.clone(),
        called: record.called.clone(),
        queue: record.queue.as_str().to_owned(),
        agent: record.agent.as_ref().map(|a| a.as_str().to_owned()),
        arrived_at: record.arrived_at,
        answered_at: record.answered_at,
        ended_at: record.ended_at,
        wait_seconds: record.wait_seconds,
        talk_seconds: record.talk_seconds,
        wrap_up_seconds: record.wrap_up_seconds,
        outcome: record.outcome.code().to_owned(),
        overflow_reason: record.overflow_reason.map(|r| r.code().to_owned()),
        satisfaction: record.satisfaction.map(|s| s.code().to_owned()),
        record: serde_json::value::to_raw_value(record)
            .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
    }
}

impl LiveAcd {
    pub fn new(config: AcdConfig) -> LiveAcd {
        LiveAcd {
            config,
            engines: std::sync::Mutex::new(HashMap::new()),
            updates: broadcast::channel(4096).0,
        }
    }

    pub fn config(&self) -> &AcdConfig {
        &self.config
    }

    pub fn subscribe(&self) -> broadcast::Receiver<AcdUpdate> {
        self.updates.subscribe()
    }

    /// The engine of a sub-platform, started on first use.
    pub fn platform(&self, platform_id: i64) -> Result<Arc<Mutex<PlatformAcd>>, AcdError> {
        let mut engines = self
            .engines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = engines.get(&platform_id) {
            return Ok(e.clone());
        }
        let engine = Engine::new(self.config.clone())?;
        let slot = Arc::new(Mutex::new(PlatformAcd::new(engine)));
        engines.insert(platform_id, slot.clone());
        Ok(slot)
    }

    /// Applies one input to a locked engine, queues everything it caused to be stored as
    /// one write (journal entry, agent events, finished calls, late ratings; in the
    /// engine's order, see `AcdJournalStore::journal_acd_step`) and broadcasts the outputs.
    /// The caller unlocks the engine and awaits [`Applied::committed`] before it answers, so
    /// nothing is acknowledged before it is durable while many inputs share a commit.
    /// Timer outputs due before the input are stored and sent even if the input is refused.
    pub async fn apply_locked(
        &self,
        store: &dyn Store,
        platform_id: i64,
        acd: &mut PlatformAcd,
        input: Input,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Applied, ApplyError> {
        let journal = serde_json::to_string(&input).map_err(|e| {
            ApplyError::Store(StoreError::Corrupt(format!("ACD input as JSON: {e}")))
        })?;
        let mut out = Vec::new();
        let result = acd.engine.apply(input, &mut out);
        if let Err(e) = result {
            // Refused: nothing to journal; timers that fell due before it are settled (and
            // happen again at the next accepted input when the journal is replayed).
            self.settle(store, platform_id, acd, &out, actor, now, Mode::Live)
                .await?;
            return Err(ApplyError::Engine(e));
        }
        let records = acd.records_of(&out, self.config.satisfaction_window_seconds);
        let step = AcdStep {
            input: journal,
            idle_after: is_idle(&acd.engine),
            events: records.agent_events,
            finished_calls: records.finished_calls,
            ratings: records.ratings,
        };
        let pending = match store.journal_acd_step(platform_id, step, actor, now).await {
            Ok(p) => p,
            Err(e) => {
                // The engine is ahead of the journal: rebuild it.
                self.recover(store, platform_id, acd, &e, now).await;
                return Err(ApplyError::Store(e));
            }
        };
        if !out.is_empty() {
            let _ = self.updates.send(AcdUpdate {
                platform_id,
                outputs: Arc::new(out.clone()),
            });
        }
        Ok(Applied {
            platform_id,
            outputs: out,
            pending,
        })
    }

    async fn recover(
        &self,
        store: &dyn Store,
        platform_id: i64,
        acd: &mut PlatformAcd,
        error: &StoreError,
        now: DateTime<Utc>,
    ) {
        tracing::error!(error = %error, platform_id, "journaling an ACD input failed");
        match self.rebuild(store, platform_id, now).await {
            Ok(fresh) => *acd = fresh,
            Err(r) => tracing::error!(error = ?r, platform_id, "rebuilding the ACD failed"),
        }
    }

    /// A sub-platform's engine rebuilt from its journal (stored records are not written
    /// twice: a call's record is keyed by its provincial id).
    async fn rebuild(
        &self,
        store: &dyn Store,
        platform_id: i64,
        now: DateTime<Utc>,
    ) -> Result<PlatformAcd, ApplyError> {
        let tails = store.acd_journal_tails(beijing_day_start(now)).await?;
        let inputs = tails
            .into_iter()
            .find(|(p, _)| *p == platform_id)
            .map(|(_, i)| i)
            .unwrap_or_default();
        self.replay(store, platform_id, &inputs).await
    }

    async fn replay(
        &self,
        store: &dyn Store,
        platform_id: i64,
        inputs: &[String],
    ) -> Result<PlatformAcd, ApplyError> {
        let mut acd =
            PlatformAcd::new(Engine::new(self.config.clone()).map_err(ApplyError::Engine)?);
        let actor = Actor::system("acd-replay");
        let mut out = Vec::new();
        for (n, raw) in inputs.iter().enumerate() {
            let input: Input = serde_json::from_str(raw).map_err(|e| {
                ApplyError::Store(StoreError::Corrupt(format!(
                    "ACD journal entry {n} of platform {platform_id}: {e}"
                )))
            })?;
            let now = input.at;
            out.clear();
            if let Err(e) = acd.engine.apply(input, &mut out) {
                // Accepted once, so only a changed configuration refuses it now.
                tracing::warn!(error = %e, platform_id, entry = n, "replayed ACD input refused");
            }
            self.settle(
                store,
                platform_id,
                &mut acd,
                &out,
                &actor,
                now,
                Mode::Replay,
            )
            .await?;
        }
        Ok(acd)
    }

    /// On server start: rebuilds every sub-platform's engine from its journal, before the
    /// ticker runs, so the timers due during the outage fire at their deadlines after it.
    /// Returns the number of inputs replayed.
    pub async fn restore(
        &self,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<usize, ApplyError> {
        let mut replayed = 0;
        for (platform_id, inputs) in store.acd_journal_tails(beijing_day_start(now)).await? {
            let acd = self.replay(store, platform_id, &inputs).await?;
            replayed += inputs.len();
            self.engines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(platform_id, Arc::new(Mutex::new(acd)));
        }
        Ok(replayed)
    }

    /// Stores the finished calls and late ratings among `out`, then broadcasts it.
    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        store: &dyn Store,
        platform_id: i64,
        acd: &mut PlatformAcd,
        out: &[Output],
        actor: &Actor,
        now: DateTime<Utc>,
        mode: Mode,
    ) -> Result<(), ApplyError> {
        let records = acd.records_of(out, self.config.satisfaction_window_seconds);
        let mut results = Vec::new();
        for call in &records.finished_calls {
            results.push(
                store
                    .insert_call(platform_id, call, true, actor, now)
                    .await
                    .map(drop),
            );
        }
        // On replay the ratings and agent events are stored already.
        if mode == Mode::Live {
            for (key, rating) in &records.ratings {
                results.push(
                    store
                        .set_call_satisfaction(platform_id, key, rating, actor, now)
                        .await
                        .map(drop),
                );
            }
            for e in records.agent_events {
                results.push(
                    store
                        .log_acd_event(
                            platform_id,
                            &e.aggregate,
                            &e.event_type,
                            e.payload,
                            None,
                            actor,
                            now,
                        )
                        .await,
                );
            }
        }
        // Every record is tried: one failure does not keep the others from being stored.
        let mut failed = None;
        for e in results.into_iter().filter_map(Result::err) {
            tracing::error!(error = %e, platform_id, "storing an ACD output failed");
            failed.get_or_insert(e);
        }
        if !out.is_empty() && mode != Mode::Replay {
            let _ = self.updates.send(AcdUpdate {
                platform_id,
                outputs: Arc::new(out.to_vec()),
            });
        }
        match failed {
            Some(e) => Err(ApplyError::Store(e)),
            None => Ok(()),
        }
    }

    /// Fires the due timers of every engine whose next deadline is not after `now`; returns
    /// the earliest deadline still pending.
    pub async fn tick_due(&self, store: &dyn Store, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let engines: Vec<(i64, Arc<Mutex<PlatformAcd>>)> = self
            .engines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        let mut next: Option<DateTime<Utc>> = None;
        let ticker = Actor::system("acd-timer");
        for (platform_id, slot) in engines {
            let mut acd = slot.lock().await;
            if let Some(deadline) = acd.engine.next_deadline()
                && deadline <= now
            {
                let mut out = Vec::new();
                // Tick at the deadline itself, so a telephony `at` a little behind the
                // server clock is still in order.
                if let Err(e) = acd.engine.tick(deadline, &mut out) {
                    tracing::warn!(error = %e, platform_id, "ACD tick refused");
                }
                let _ = self
                    .settle(store, platform_id, &mut acd, &out, &ticker, now, Mode::Live)
                    .await;
            }
            if let Some(d) = acd.engine.next_deadline() {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        next
    }

    /// Runs the timers for ever: wakes at the earliest deadline, and at least every 250 ms
    /// (an input may have set an earlier one; a test clock may jump).
    pub fn spawn_ticker(self: &Arc<Self>, store: Arc<dyn Store>, clock: Arc<dyn Clock>) {
        let live = self.clone();
        tokio::spawn(async move {
            loop {
                let now = clock.now();
                let next = live.tick_due(store.as_ref(), now).await;
                let wait = next
                    .map(|d| (d - clock.now()).to_std().unwrap_or(Duration::ZERO))
                    .unwrap_or(Duration::from_millis(250))
                    .clamp(Duration::from_millis(1), Duration::from_millis(250));
                tokio::time::sleep(wait).await;
            }
        });
    }
}
