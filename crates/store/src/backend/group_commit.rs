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
//! This file is compiled once per backend like `sql.rs` (`super::Db`).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use sqlx::{Pool, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::Db;
use crate::{StoreError, StoreResult};

pub(super) type Tx = Transaction<'static, Db>;
type Value = Box<dyn Any + Send>;
type Running<'c> = Pin<Box<dyn Future<Output = StoreResult<Value>> + Send + 'c>>;
type Write = Box<dyn for<'c> Fn(&'c mut Tx) -> Running<'c> + Send + Sync>;

struct Job {
    write: Write,
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

    /// Runs `write` in a transaction shared with other queued writes; its result once that
    /// transaction committed. `write` may run twice (see the module comment): it must do
    /// its checks before its changes and return an error rather than half-write.
    pub(super) async fn write<T, F>(&self, write: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut Tx) -> Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>
            + Send
            + Sync
            + 'static,
    {
        self.queue(write).await?.await
    }

    /// Queues `write` behind the writes queued before it and returns at once; the returned
    /// future gives its result once committed. For callers that must fix the order of their
    /// writes under a lock but not hold the lock while the database works.
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
        let (reply, answer) = oneshot::channel();
        let write: Write = Box::new(move |tx| {
            let running = write(tx);
            Box::pin(async move { running.await.map(|v| Box::new(v) as Value) })
        });
        self.queue
            .send(Job { write, reply })
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
            Ok(values) => {
                for (job, value) in batch.into_iter().zip(values) {
                    let _ = job.reply.send(Ok(value));
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

async fn together(pool: &Pool<Db>, batch: &[Job]) -> StoreResult<Vec<Value>> {
    let mut tx = pool.begin().await?;
    let mut values = Vec::with_capacity(batch.len());
    for job in batch {
        values.push((job.write)(&mut tx).await?);
    }
    tx.commit().await?;
    Ok(values)
}

async fn alone(pool: &Pool<Db>, job: &Job) -> StoreResult<Value> {
    let mut tx = pool.begin().await?;
    let value = (job.write)(&mut tx).await?;
    tx.commit().await?;
    Ok(value)
}
