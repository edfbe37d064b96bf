//! Group commit: the hot writes (work-order registrations and transitions, the live ACD's
//! journal) are queued to one writer task, which runs every write waiting in the queue in ONE
//! transaction and answers each caller only after that transaction committed. Under load a
//! commit (and on PostgreSQL its fsync) is shared by many requests; alone, a write is its own
//! batch and waits for nothing.
//!
//! Semantics are those of one transaction per write:
//! - a write is acknowledged only after the commit that holds it (nothing acknowledged is
//!   lost by a crash or a kill);
//! - a write that fails leaves nothing behind: when any write of a batch returns an error,
//!   the batch is rolled back and every write of it runs again alone, in its own
//!   transaction, so one bad write never fails or half-applies its neighbours;
//! - writes run in the order they were queued (the ACD journal relies on it); the order
//!   writes of one run (below) are of distinct orders, so their order inside it is free.
//!   With more than one writer (PostgreSQL, below) this holds per writer: closures and
//!   registrations all go to the first, and the transitions of one order always to the same
//!   one, so what must stay in order does.
//!
//! Writes are closures that can run twice (for the retry alone), so they own their data.
//! Work-order registrations and transitions, the hottest writes, are data instead: the ones
//! next to each other in a batch are written with one statement per kind of row
//! (`order_writes_sql::write_orders`), because each statement is a round trip to the
//! database (on SQLite, to sqlx's connection thread and back), and those round trips, one
//! after the other in the writer, were what limited the throughput.
//!
//! The writer keeps its connection between batches: on SQLite, where the other writers
//! share it, for up to `sqlite::SHARED_HOLD` (see there); on PostgreSQL until an error, which
//! keeps its prepared statements (one per batch size) warm.
//!
//! SQLite has one writer (it has one write connection). PostgreSQL runs transactions side by
//! side, and with one writer its server sat idle while the writer waited for each batch's
//! round trips and commit. There the transitions are spread by order id over
//! `postgres::WRITERS` (three) writers, each with its own connection, so one writes while
//! another waits. Registrations stay on the first writer: they raise the same day-sequence
//! rows, which two transactions would take turns on (or deadlock over).
//! This file is compiled once per backend like `sql.rs` (`super::Db`).

use std::any::Any;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Pool, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::Db;
use super::order_writes_sql::{OrderChange, Registration, write_orders};
use crate::orders::WorkOrder;
use crate::{StoreError, StoreResult};

pub(super) type Tx<'t> = Transaction<'t, Db>;
type Value = Box<dyn Any + Send>;
type Running<'c> = Pin<Box<dyn Future<Output = StoreResult<Value>> + Send + 'c>>;
type Write = Box<dyn for<'c, 't> Fn(&'c mut Tx<'t>) -> Running<'c> + Send + Sync>;

enum Work {
    /// Any write: a closure run against the batch's transaction.
    Closure(Write),
    /// A work-order registration, run together with the order writes queued next to it.
    Register(Box<Registration>),
    /// A work-order transition, run together with the order writes queued next to it.
    Order(Box<OrderChange>),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<StoreResult<Value>>,
}

/// Most writes in one transaction: bounds the latency a batch adds to its first write.
pub(super) const MAX_BATCH: usize = 256;
/// Writes waiting beyond this make callers wait to queue (back-pressure, bounded memory).
const QUEUE: usize = 4096;

/// The handle of the writer tasks; cheap to clone.
#[derive(Clone)]
pub(super) struct GroupWriter {
    /// One queue a writer; the first takes every write but the transitions of the others.
    queues: Arc<[mpsc::Sender<Job>]>,
}

impl GroupWriter {
    /// Starts `writers` writer tasks (at least one) on the current Tokio runtime. They end
    /// when every handle is dropped, after finishing the writes already queued.
    /// `hold`: how long a writer keeps its connection, busy or idle, before giving it back
    /// to the pool (`None`: until an error), when other writers need it too.
    pub(super) fn start(pool: Pool<Db>, hold: Option<Duration>, writers: usize) -> GroupWriter {
        let queues = (0..writers.max(1))
            .map(|_| {
                let (queue, jobs) = mpsc::channel(QUEUE);
                tokio::spawn(run(pool.clone(), hold, jobs));
                queue
            })
            .collect();
        GroupWriter { queues }
    }

    /// Queues `write` behind the writes queued before it and returns at once; the returned
    /// future gives its result once that write's transaction (shared with other queued
    /// writes) committed. `write` may run twice (see the module comment): it must do its
    /// checks before its changes and return an error rather than half-write. Returning at
    /// once lets callers fix the order of their writes under a lock but not hold the lock
    /// while the database works.
    pub(super) async fn queue<T, F>(
        &self,
        write: F,
    ) -> StoreResult<impl Future<Output = StoreResult<T>> + Send + 'static>
    where
        T: Send + 'static,
        F: for<'c, 't> Fn(
                &'c mut Tx<'t>,
            ) -> Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>
            + Send
            + Sync
            + 'static,
    {
        let write: Write = Box::new(move |tx| {
            let running = write(tx);
            Box::pin(async move { running.await.map(|v| Box::new(v) as Value) })
        });
        self.send(0, Work::Closure(write)).await
    }

    /// Applies a work-order transition (see the module comment); the stored order once
    /// committed.
    pub(super) async fn change(&self, change: OrderChange) -> StoreResult<WorkOrder> {
        // One order, one writer: its transitions stay in the order they came.
        let writer = change.after.id.rem_euclid(self.queues.len() as i64) as usize;
        self.send(writer, Work::Order(Box::new(change)))
            .await?
            .await
    }

    /// Registers a work order (see the module comment); the stored order once committed,
    /// and whether it was created (false: registered before under the same idempotency key).
    pub(super) async fn register(
        &self,
        registration: Registration,
    ) -> StoreResult<(WorkOrder, bool)> {
        self.send(0, Work::Register(Box::new(registration)))
            .await?
            .await
    }

    async fn send<T: Send + 'static>(
        &self,
        writer: usize,
        work: Work,
    ) -> StoreResult<impl Future<Output = StoreResult<T>> + Send + 'static> {
        let (reply, answer) = oneshot::channel();
        self.queues[writer]
            .send(Job { work, reply })
            .await
            .map_err(|_| stopped())?;
        Ok(async move {
            let value = answer.await.map_err(|_| stopped())??;
            value
                .downcast::<T>()
                .map(|v| *v)
                .map_err(|_| StoreError::Corrupt("group commit: a reply of the wrong type".into()))
        })
    }
}

fn stopped() -> StoreError {
    StoreError::Corrupt("the database writer has stopped".into())
}

async fn run(pool: Pool<Db>, hold: Option<Duration>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // The connection, kept from one batch to the next until `hold` after it was taken.
    let mut held: Option<(PoolConnection<Db>, Instant)> = None;
    let kept = |since: Instant| hold.is_none_or(|hold| since.elapsed() < hold);
    loop {
        let received = match (&held, hold) {
            (None, _) | (Some(_), None) => jobs.recv_many(&mut batch, MAX_BATCH).await,
            (Some((_, since)), Some(hold)) => {
                let left = hold.saturating_sub(since.elapsed());
                match tokio::time::timeout(left, jobs.recv_many(&mut batch, MAX_BATCH)).await {
                    Ok(received) => received,
                    Err(_) => {
                        held = None;
                        continue;
                    }
                }
            }
        };
        if received == 0 {
            return;
        }
        let (mut conn, since) = match held.take() {
            Some(h) => h,
            None => match pool.acquire().await {
                Ok(conn) => (conn, Instant::now()),
                Err(e) => {
                    let e = StoreError::from(e).to_string();
                    for job in batch.drain(..) {
                        let _ = job.reply.send(Err(StoreError::Corrupt(e.clone())));
                    }
                    continue;
                }
            },
        };
        // After an error outside the writes' own results, the pool tests the connection
        // (and replaces a broken one).
        if run_batch(&mut conn, std::mem::take(&mut batch)).await && kept(since) {
            held = Some((conn, since));
        }
    }
}

/// Runs and answers `batch`; false if the connection may be unusable (an error outside the
/// writes' own results).
async fn run_batch(conn: &mut PoolConnection<Db>, batch: Vec<Job>) -> bool {
    if batch.len() > 1 {
        match together(conn, &batch).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
                return true;
            }
            Err(e) => tracing::debug!(error = %e, writes = batch.len(),
                "a grouped write failed; running each write of the batch alone"),
        }
    }
    let mut healthy = true;
    for job in batch {
        let result = alone(conn, &job).await;
        healthy &= !matches!(result, Err(StoreError::Database(_)));
        let _ = job.reply.send(result);
    }
    healthy
}

/// The whole batch in one transaction: one result per job. An `Err` of the whole means
/// nothing was committed; a job's own `Err` inside means that job wrote nothing.
async fn together(
    conn: &mut PoolConnection<Db>,
    batch: &[Job],
) -> StoreResult<Vec<StoreResult<Value>>> {
    let mut tx = conn.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    let mut next = 0;
    while let Some(job) = batch.get(next) {
        match &job.work {
            Work::Closure(write) => {
                results.push(Ok(write(&mut tx).await?));
                next += 1;
            }
            Work::Register(_) | Work::Order(_) => {
                // The order writes from here on, up to a closure or to the first transition
                // of an order already in the run (its expected version depends on the earlier
                // one's update).
                let mut orders = HashSet::new();
                let run: Vec<&Work> = batch[next..]
                    .iter()
                    .map(|j| &j.work)
                    .take_while(|w| match w {
                        Work::Register(_) => true,
                        Work::Order(c) => orders.insert((c.after.platform_id, c.after.id)),
                        Work::Closure(_) => false,
                    })
                    .collect();
                next += run.len();
                let (registrations, changes) = split(&run);
                let written = write_orders(&mut tx, &registrations, &changes, false).await?;
                let mut registered = written.registered.into_iter();
                let mut changed = written.changed.into_iter();
                for work in run {
                    let result = match work {
                        Work::Register(_) => registered.next().map(|r| r.map(boxed)),
                        _ => changed.next().map(|r| r.map(boxed)),
                    };
                    results.push(result.unwrap_or_else(|| {
                        Err(StoreError::Corrupt(
                            "group commit: a write without a result".into(),
                        ))
                    }));
                }
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}

async fn alone(conn: &mut PoolConnection<Db>, job: &Job) -> StoreResult<Value> {
    let mut tx = conn.begin().await?;
    let value = match &job.work {
        Work::Closure(write) => write(&mut tx).await?,
        work => {
            let (registrations, changes) = split(&[work]);
            let written = write_orders(&mut tx, &registrations, &changes, true).await?;
            match (
                written.registered.into_iter().next(),
                written.changed.into_iter().next(),
            ) {
                (Some(r), _) => boxed(r?),
                (None, Some(c)) => boxed(c?),
                (None, None) => return Err(StoreError::NotFound("order")),
            }
        }
    };
    tx.commit().await?;
    Ok(value)
}

/// The registrations and the transitions of a run of order writes, each in queue order.
fn split<'w>(run: &[&'w Work]) -> (Vec<&'w Registration>, Vec<&'w OrderChange>) {
    let mut registrations = Vec::new();
    let mut changes = Vec::new();
    for work in run {
        match work {
            Work::Register(r) => registrations.push(&**r),
            Work::Order(c) => changes.push(&**c),
            Work::Closure(_) => {}
        }
    }
    (registrations, changes)
}

fn boxed<T: Send + 'static>(value: T) -> Value {
    Box::new(value)
}
