//! Group commit: the hot writes (work-order transitions, the live ACD's journal) are queued
//! to one writer task, which runs every write waiting in the queue in ONE transaction and
//! answers each caller only after that transaction committed. Under load a commit (and on
//! PostgreSQL its fsync) is shared by many requests; alone, a write is its own batch and
//! waits for nothing.
//!
//! Semantics are those of one transaction per write:
//! - a write is acknowledged only after the commit that holds it (nothing acknowledged is
//!   lost by a crash or a kill);
//! - a write that fails leaves nothing behind: when any write of a batch returns an error,
//!   the batch is rolled back and every write of it runs again alone, in its own
//!   transaction, so one bad write never fails or half-applies its neighbours;
//! - writes run in the order they were queued (the ACD journal relies on it).
//!
//! Writes are closures that can run twice (for the retry alone), so they own their data.
//! Work-order transitions, the hottest write, are data instead of closures: the transitions
//! next to each other in a batch run as ONE multi-row `UPDATE … FROM (VALUES …)` and ONE
//! multi-row event `INSERT` (`orders_sql::write_order_changes`), because each statement is a
//! round trip to the database (on SQLite, to sqlx's connection thread and back), and those
//! round trips, one after the other in the writer, were what limited the throughput. The
//! `UPDATE` returns no rows (the stored orders are computed from the loaded ones), so it
//! tells only how many orders matched their expected version: if not all did, the batch runs
//! again write by write, and each transition that no longer matches fails alone, having
//! written nothing.
//! This file is compiled once per backend like `sql.rs` (`super::Db`).

use std::any::Any;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use sqlx::{Pool, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::Db;
use super::orders_sql::{OrderChange, write_order_changes};
use crate::orders::WorkOrder;
use crate::{StoreError, StoreResult};

pub(super) type Tx = Transaction<'static, Db>;
type Value = Box<dyn Any + Send>;
type Running<'c> = Pin<Box<dyn Future<Output = StoreResult<Value>> + Send + 'c>>;
type Write = Box<dyn for<'c> Fn(&'c mut Tx) -> Running<'c> + Send + Sync>;

enum Work {
    /// Any write: a closure run against the batch's transaction.
    Closure(Write),
    /// A work-order transition, run together with the transitions queued next to it.
    Order(Box<OrderChange>),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<StoreResult<Value>>,
}

/// Most writes in one transaction: bounds the latency a batch adds to its first write.
const MAX_BATCH: usize = 256;
/// Writes waiting beyond this make callers wait to queue (back-pressure, bounded memory).
const QUEUE: usize = 4096;

/// The handle of the writer task; cheap to clone.
#[derive(Clone)]
pub(super) struct GroupWriter {
    queue: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Starts the writer task on the current Tokio runtime. It ends when every handle is
    /// dropped, after finishing the writes already queued.
    pub(super) fn start(pool: Pool<Db>) -> GroupWriter {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, jobs));
        GroupWriter { queue }
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
        F: for<'c> Fn(&'c mut Tx) -> Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>
            + Send
            + Sync
            + 'static,
    {
        let write: Write = Box::new(move |tx| {
            let running = write(tx);
            Box::pin(async move { running.await.map(|v| Box::new(v) as Value) })
        });
        self.send(Work::Closure(write)).await
    }

    /// Applies a work-order transition (see the module comment); the stored order once
    /// committed.
    pub(super) async fn order_change(&self, change: OrderChange) -> StoreResult<WorkOrder> {
        self.send(Work::Order(Box::new(change))).await?.await
    }

    async fn send<T: Send + 'static>(
        &self,
        work: Work,
    ) -> StoreResult<impl Future<Output = StoreResult<T>> + Send + 'static> {
        let (reply, answer) = oneshot::channel();
        self.queue
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

async fn run(pool: Pool<Db>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        run_batch(&pool, std::mem::take(&mut batch)).await;
    }
}

async fn run_batch(pool: &Pool<Db>, batch: Vec<Job>) {
    if batch.len() > 1 {
        match together(pool, &batch).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
                return;
            }
            Err(e) => tracing::debug!(error = %e, writes = batch.len(),
                "a grouped write failed; running each write of the batch alone"),
        }
    }
    for job in batch {
        let result = alone(pool, &job).await;
        let _ = job.reply.send(result);
    }
}

/// The whole batch in one transaction: one result per job. An `Err` of the whole means
/// nothing was committed; a job's own `Err` inside means that job wrote nothing.
async fn together(pool: &Pool<Db>, batch: &[Job]) -> StoreResult<Vec<StoreResult<Value>>> {
    let mut tx = pool.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    let mut next = 0;
    while let Some(job) = batch.get(next) {
        match &job.work {
            Work::Closure(write) => {
                results.push(Ok(write(&mut tx).await?));
                next += 1;
            }
            Work::Order(_) => {
                // The transitions from here on, up to the first that changes an order already
                // in the run (its expected version depends on the earlier one's update).
                let mut orders = HashSet::new();
                let run: Vec<&OrderChange> = batch[next..]
                    .iter()
                    .map_while(|j| match &j.work {
                        Work::Order(c) if orders.insert((c.after.platform_id, c.after.id)) => {
                            Some(&**c)
                        }
                        _ => None,
                    })
                    .collect();
                next += run.len();
                for r in write_order_changes(&mut tx, &run).await? {
                    results.push(r.map(|order| Box::new(order) as Value));
                }
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}

async fn alone(pool: &Pool<Db>, job: &Job) -> StoreResult<Value> {
    let mut tx = pool.begin().await?;
    let value = match &job.work {
        Work::Closure(write) => write(&mut tx).await?,
        Work::Order(change) => {
            let mut results = write_order_changes(&mut tx, &[&**change]).await?;
            let order = results
                .pop()
                .unwrap_or(Err(StoreError::NotFound("order")))?;
            Box::new(order) as Value
        }
    };
    tx.commit().await?;
    Ok(value)
}
