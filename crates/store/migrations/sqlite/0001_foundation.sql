-- Foundation: sub-platforms, their places, departments, seats, staff positions, users,
-- sessions and the append-only event log. Every row carries platform_id.
-- Instants are TEXT in RFC 3339 UTC (sqlx's chrono encoding), which sorts correctly.

CREATE TABLE platforms (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    order_prefix TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE towns (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    UNIQUE (platform_id, code)
);

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (platform_id, code)
);

CREATE TABLE seats (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    UNIQUE (platform_id, code)
);

CREATE TABLE staff (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    position    TEXT NOT NULL,
    is_demo     BOOLEAN NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (platform_id, code)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    platform_id   INTEGER NOT NULL REFERENCES platforms(id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX users_platform ON users (platform_id, id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    platform_id    INTEGER NOT NULL REFERENCES platforms(id),
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    actor          TEXT NOT NULL,
    occurred_at    TEXT NOT NULL,
    payload        TEXT NOT NULL,
    reason         TEXT
);
CREATE INDEX events_aggregate ON events (platform_id, aggregate_type, aggregate_id, id);

-- Invariant: the event log is append-only, enforced by the database itself.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
