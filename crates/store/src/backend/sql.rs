//! The SQL of rexian, written once and compiled for each backend: this file is a module of
//! both `sqlite` and `postgres`, where `super::Db` names the sqlx database type. Both
//! backends accept the same text (`$1` placeholders, `RETURNING`, `ON CONFLICT`); what
//! differs lives in the parent module.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rexian_domain::{Actor, AggregateRef, Event, NewEvent, Role};
use serde_json::json;
use sqlx::{Pool, Row, Transaction, types::Json};

use super::Db;
use super::group_commit::GroupWriter;
use crate::{
    Backend, Department, NewDepartment, NewUser, Platform, PlatformSeed, Seat, StaffMember, Store,
    StoreError, StoreResult, Town, User,
};

type DbRow = <Db as sqlx::Database>::Row;

/// One backend's pools. SQLite gets a single-connection writer so write transactions queue
/// in the process instead of failing with SQLITE_BUSY; PostgreSQL uses one pool for both.
/// The hot writes go through `group`, which commits many of them at once.
pub struct SqlStore {
    pub(super) writer: Pool<Db>,
    pub(super) reader: Pool<Db>,
    pub(super) group: GroupWriter,
    /// SQLite: held for its drop, which stops the background WAL checkpointer (`sqlite.rs`).
    pub(super) _checkpointer: Option<tokio::sync::mpsc::Sender<()>>,
    pub(super) backend: Backend,
    /// Open orders as this process last wrote them (`order_cache.rs`).
    pub(super) orders: crate::order_cache::OrderCache,
}

pub(super) async fn append_event(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    ev: &NewEvent,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (platform_id, aggregate_type, aggregate_id, event_type, actor, \
         occurred_at, payload, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(platform_id)
    .bind(&ev.aggregate.kind)
    .bind(&ev.aggregate.id)
    .bind(&ev.event_type)
    .bind(ev.actor.to_column())
    .bind(ev.occurred_at)
    .bind(Json(&ev.payload))
    .bind(&ev.reason)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Appends many events, each of its sub-platform, with multi-row statements (bulk loads,
/// batches of transitions): the same rows [`append_event`] writes, in the order given,
/// without returning their ids.
pub(super) async fn append_events<'e>(
    tx: &mut Transaction<'_, Db>,
    events: impl IntoIterator<Item = (i64, &'e NewEvent)>,
) -> StoreResult<()> {
    let events: Vec<(i64, &NewEvent)> = events.into_iter().collect();
    // 8 parameters a row: 1,000 rows stay under SQLite's 32,766 parameters a statement.
    for chunk in events.chunks(EVENTS_A_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<Db>::new("");
        push_event_insert(&mut q, chunk);
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Events one multi-row `INSERT` of [`push_event_insert`] may hold.
pub(super) const EVENTS_A_STATEMENT: usize = 1000;

/// Pushes the `INSERT` of `events` (at most [`EVENTS_A_STATEMENT`]), each of its
/// sub-platform, as `INSERT … SELECT * FROM (VALUES …) AS e`, so that a caller may add a
/// `WHERE` after it.
pub(super) fn push_event_insert<'a>(
    q: &mut sqlx::QueryBuilder<'a, Db>,
    events: &'a [(i64, &'a NewEvent)],
) {
    q.push(
        "INSERT INTO events (platform_id, aggregate_type, aggregate_id, event_type, actor, \
         occurred_at, payload, reason) SELECT * FROM (",
    );
    q.push_values(events, |mut b, (platform_id, ev)| {
        b.push_bind(*platform_id)
            .push_bind(&ev.aggregate.kind)
            .push_bind(&ev.aggregate.id)
            .push_bind(&ev.event_type)
            .push_bind(ev.actor.to_column())
            .push_bind(ev.occurred_at)
            .push_bind(Json(&ev.payload))
            .push_bind(&ev.reason);
    });
    q.push(") AS e");
}

pub(super) fn event(
    aggregate: AggregateRef,
    event_type: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    payload: serde_json::Value,
    reason: Option<&str>,
) -> NewEvent {
    NewEvent {
        aggregate,
        event_type: event_type.to_owned(),
        actor: actor.clone(),
        occurred_at: now,
        payload,
        reason: reason.map(str::to_owned),
    }
}

const PLATFORM_COLUMNS: &str = "id, code, name, order_prefix, created_at";

fn platform_from(row: &DbRow) -> StoreResult<Platform> {
    Ok(Platform {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        order_prefix: row.try_get("order_prefix")?,
        created_at: row.try_get("created_at")?,
    })
}

const USER_COLUMNS: &str =
    "id, platform_id, username, display_name, role, department_id, active, created_at";

fn user_from(row: &DbRow) -> StoreResult<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::from_code(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        department_id: row.try_get("department_id")?,
        active: row.try_get("active")?,
        created_at: row.try_get("created_at")?,
    })
}

const DEPARTMENT_COLUMNS: &str = "id, platform_id, code, name, kind, active, created_at";

fn department_from(row: &DbRow) -> StoreResult<Department> {
    Ok(Department {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        active: row.try_get("active")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn event_from(row: &DbRow) -> StoreResult<Event> {
    let Json(payload): Json<serde_json::Value> = row.try_get("payload")?;
    Ok(Event {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        event_type: row.try_get("event_type")?,
        actor: row.try_get("actor")?,
        occurred_at: row.try_get("occurred_at")?,
        payload,
        reason: row.try_get("reason")?,
    })
}

async fn insert_department(
    tx: &mut Transaction<'_, Db>,
    platform_id: i64,
    new: &NewDepartment,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<Department> {
    let row = sqlx::query(&format!(
        "INSERT INTO departments (platform_id, code, name, kind, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {DEPARTMENT_COLUMNS}"
    ))
    .bind(platform_id)
    .bind(&new.code)
    .bind(&new.name)
    .bind(&new.kind)
    .bind(true)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("department code {:?} exists already", new.code))
        }
        other => other,
    })?;
    let dept = department_from(&row)?;
    append_event(
        tx,
        platform_id,
        &event(
            AggregateRef::new("department", dept.id),
            "department.created",
            actor,
            now,
            json!({ "code": dept.code, "name": dept.name, "kind": dept.kind }),
            None,
        ),
    )
    .await?;
    Ok(dept)
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn schema(&self) -> StoreResult<Vec<(String, Vec<String>)>> {
        super::schema(&self.reader).await
    }

    async fn list_platforms(&self) -> StoreResult<Vec<Platform>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLATFORM_COLUMNS} FROM platforms ORDER BY id"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(platform_from).collect()
    }

    async fn platform(&self, id: i64) -> StoreResult<Option<Platform>> {
        let row = sqlx::query(&format!(
            "SELECT {PLATFORM_COLUMNS} FROM platforms WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(platform_from).transpose()
    }

    async fn platform_by_code(&self, code: &str) -> StoreResult<Option<Platform>> {
        let row = sqlx::query(&format!(
            "SELECT {PLATFORM_COLUMNS} FROM platforms WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(platform_from).transpose()
    }

    async fn seed_platform(
        &self,
        seed: &PlatformSeed,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Platform> {
        let mut tx = self.writer.begin().await?;
        let p = &seed.platform;
        let row = sqlx::query(&format!(
            "INSERT INTO platforms (code, name, order_prefix, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {PLATFORM_COLUMNS}"
        ))
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.order_prefix)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("sub-platform {:?} exists already", p.code))
            }
            other => other,
        })?;
        let platform = platform_from(&row)?;
        let pid = platform.id;
        append_event(
            &mut tx,
            pid,
            &event(
                AggregateRef::new("platform", pid),
                "platform.created",
                actor,
                now,
                json!({
                    "code": platform.code, "name": platform.name,
                    "order_prefix": platform.order_prefix,
                    "towns": seed.towns.len(), "departments": seed.departments.len(),
                    "seats": seed.seats.len(), "staff": seed.staff.len(),
                }),
                None,
            ),
        )
        .await?;
        for t in &seed.towns {
            sqlx::query(
                "INSERT INTO towns (platform_id, code, name, kind) VALUES ($1, $2, $3, $4)",
            )
            .bind(pid)
            .bind(&t.code)
            .bind(&t.name)
            .bind(&t.kind)
            .execute(&mut *tx)
            .await?;
        }
        for s in &seed.seats {
            sqlx::query("INSERT INTO seats (platform_id, code, name) VALUES ($1, $2, $3)")
                .bind(pid)
                .bind(&s.code)
                .bind(&s.name)
                .execute(&mut *tx)
                .await?;
        }
        for s in &seed.staff {
            sqlx::query(
                "INSERT INTO staff (platform_id, code, name, position, is_demo, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(pid)
            .bind(&s.code)
            .bind(&s.name)
            .bind(&s.position)
            .bind(s.is_demo)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for d in &seed.departments {
            insert_department(&mut tx, pid, d, actor, now).await?;
        }
        tx.commit().await?;
        Ok(platform)
    }

    async fn list_towns(&self, platform_id: i64) -> StoreResult<Vec<Town>> {
        let rows =
            sqlx::query("SELECT code, name, kind FROM towns WHERE platform_id = $1 ORDER BY id")
                .bind(platform_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Town {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                })
            })
            .collect()
    }

    async fn list_seats(&self, platform_id: i64) -> StoreResult<Vec<Seat>> {
        let rows = sqlx::query("SELECT code, name FROM seats WHERE platform_id = $1 ORDER BY code")
            .bind(platform_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Seat {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    async fn list_staff(&self, platform_id: i64) -> StoreResult<Vec<StaffMember>> {
        let rows = sqlx::query(
            "SELECT code, name, position, is_demo FROM staff WHERE platform_id = $1 ORDER BY code",
        )
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffMember {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    position: r.try_get("position")?,
                    is_demo: r.try_get("is_demo")?,
                })
            })
            .collect()
    }

    async fn list_departments(&self, platform_id: i64) -> StoreResult<Vec<Department>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE platform_id = $1 ORDER BY id"
        ))
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(department_from).collect()
    }

    async fn department(&self, platform_id: i64, id: i64) -> StoreResult<Option<Department>> {
        let row = sqlx::query(&format!(
            "SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE platform_id = $1 AND id = $2"
        ))
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(department_from).transpose()
    }

    async fn create_department(
        &self,
        platform_id: i64,
        new: &NewDepartment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Department> {
        let mut tx = self.writer.begin().await?;
        let dept = insert_department(&mut tx, platform_id, new, actor, now).await?;
        tx.commit().await?;
        Ok(dept)
    }

    async fn create_user(
        &self,
        platform_id: i64,
        new: &NewUser,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.writer.begin().await?;
        if let Some(dept) = new.department_id {
            // The department must be this sub-platform's: a foreign key alone would accept
            // another sub-platform's department.
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM departments WHERE platform_id = $1 AND id = $2")
                    .bind(platform_id)
                    .bind(dept)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::NotFound("department"));
            }
        }
        let row = sqlx::query(&format!(
            "INSERT INTO users (platform_id, username, display_name, role, department_id, \
             password_hash, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {USER_COLUMNS}"
        ))
        .bind(platform_id)
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(new.role.code())
        .bind(new.department_id)
        .bind(&new.password_hash)
        .bind(true)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("username {:?} is taken", new.username))
            }
            other => other,
        })?;
        let user = user_from(&row)?;
        append_event(
            &mut tx,
            platform_id,
            &event(
                AggregateRef::new("user", user.id),
                "user.created",
                actor,
                now,
                json!({
                    "username": user.username, "display_name": user.display_name,
                    "role": user.role, "department_id": user.department_id,
                }),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user(&self, platform_id: i64, id: i64) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE platform_id = $1 AND id = $2"
        ))
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn list_users(&self, platform_id: i64) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE platform_id = $1 ORDER BY id"
        ))
        .bind(platform_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(user_from).collect()
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(r) => Ok(Some((user_from(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    async fn set_user_active(
        &self,
        platform_id: i64,
        id: i64,
        active: bool,
        actor: &Actor,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET active = $3 WHERE platform_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"
        ))
        .bind(platform_id)
        .bind(id)
        .bind(active)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
        let user = user_from(&row)?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE platform_id = $1 AND user_id = $2")
                .bind(platform_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let kind = if active {
            "user.activated"
        } else {
            "user.deactivated"
        };
        append_event(
            &mut tx,
            platform_id,
            &event(
                AggregateRef::new("user", id),
                kind,
                actor,
                now,
                json!({}),
                reason,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn count_users_with_role(&self, platform_id: i64, role: Role) -> StoreResult<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE platform_id = $1 AND role = $2 AND active = $3",
        )
        .bind(platform_id)
        .bind(role.code())
        .bind(true)
        .fetch_one(&self.reader)
        .await?;
        Ok(n)
    }

    async fn create_session(
        &self,
        user: &User,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        // Sign-in is a good moment to forget sessions that have expired.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(user.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, platform_id, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.platform_id)
        .bind(user.id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let actor = Actor::User {
            id: user.id,
            username: user.username.clone(),
        };
        append_event(
            &mut tx,
            user.platform_id,
            &event(
                AggregateRef::new("user", user.id),
                "user.signed_in",
                &actor,
                now,
                json!({ "expires_at": expires_at }),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = $3",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(token_hash)
        .bind(now)
        .bind(true)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn delete_session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "DELETE FROM sessions WHERE token_hash = $1 RETURNING platform_id, user_id",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = row {
            let platform_id: i64 = row.try_get("platform_id")?;
            let user_id: i64 = row.try_get("user_id")?;
            let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            let actor = Actor::User {
                id: user_id,
                username,
            };
            append_event(
                &mut tx,
                platform_id,
                &event(
                    AggregateRef::new("user", user_id),
                    "user.signed_out",
                    &actor,
                    now,
                    json!({}),
                    None,
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn events(
        &self,
        platform_id: i64,
        aggregate: &AggregateRef,
        after_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, platform_id, aggregate_type, aggregate_id, event_type, actor, \
             occurred_at, payload, reason FROM events \
             WHERE platform_id = $1 AND aggregate_type = $2 AND aggregate_id = $3 AND id > $4 \
             ORDER BY id LIMIT $5",
        )
        .bind(platform_id)
        .bind(&aggregate.kind)
        .bind(&aggregate.id)
        .bind(after_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event_from).collect()
    }
}
