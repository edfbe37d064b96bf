-- Calls: every finished call (from the live ACD or imported from a PBX log), and the
-- missed-call callback list (漏接回拨). Every row carries platform_id.

CREATE TABLE calls (
    id                 INTEGER PRIMARY KEY,
    platform_id        INTEGER NOT NULL REFERENCES platforms(id),
    -- cti, asterisk_queue_log, asterisk_cdr, freeswitch_cdr
    source             TEXT NOT NULL,
    -- The provincial call id for CTI calls, the importer's dedup key for imported ones.
    dedup_key          TEXT NOT NULL,
    caller             TEXT NOT NULL,
    called             TEXT NOT NULL,
    queue              TEXT NOT NULL,
    agent              TEXT,
    arrived_at         TEXT NOT NULL,
    answered_at        TEXT,
    ended_at           TEXT NOT NULL,
    wait_seconds       REAL NOT NULL,
    talk_seconds       REAL NOT NULL,
    wrap_up_seconds    REAL NOT NULL,
    -- completed, transferred, abandoned, short_abandoned, overflowed (ACD terms);
    -- busy, failed for imported calls that never reached a queue.
    outcome            TEXT NOT NULL,
    short_abandon      BOOLEAN NOT NULL,
    overflow_reason    TEXT,
    satisfaction       TEXT,
    order_id           INTEGER,
    record             TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (platform_id, dedup_key)
);
CREATE INDEX calls_arrived ON calls (platform_id, arrived_at);
CREATE INDEX calls_caller ON calls (platform_id, caller, arrived_at);

CREATE TABLE call_callbacks (
    id               INTEGER PRIMARY KEY,
    platform_id      INTEGER NOT NULL REFERENCES platforms(id),
    caller           TEXT NOT NULL,
    -- Beijing date of the missed calls, YYYY-MM-DD: one entry per caller number per day.
    day              TEXT NOT NULL,
    -- open, closed
    status           TEXT NOT NULL,
    missed_count     INTEGER NOT NULL,
    first_missed_at  TEXT NOT NULL,
    last_missed_at   TEXT NOT NULL,
    last_call_id     INTEGER REFERENCES calls(id),
    attempts         INTEGER NOT NULL,
    last_attempt_at  TEXT,
    -- reached, no_answer, busy, wrong_number, got_through (called again and was answered)
    outcome          TEXT,
    note             TEXT,
    closed_at        TEXT,
    UNIQUE (platform_id, caller, day)
);
CREATE INDEX call_callbacks_status ON call_callbacks (platform_id, status, first_missed_at);
