-- The input journal of the live ACD engines: every CTI input the engine accepted, stored
-- before it is acknowledged, so a restarted server rebuilds each sub-platform's engine by
-- replaying the inputs after the last point where it was idle (no live call, no agent
-- signed in).
CREATE TABLE acd_journal (
    id           INTEGER PRIMARY KEY,
    platform_id  INTEGER NOT NULL REFERENCES platforms(id),
    -- The rexian_acd::Input as JSON (time and command).
    input        TEXT NOT NULL,
    -- True when the engine was idle after this input: replay starts after the last such row.
    idle_after   BOOLEAN NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX acd_journal_platform ON acd_journal (platform_id, id);
CREATE INDEX acd_journal_idle ON acd_journal (platform_id, id) WHERE idle_after;
