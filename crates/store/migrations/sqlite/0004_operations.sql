-- Operations (issue 5): staff records, assets and daily inspections, faults, emergencies,
-- complaints, praise and call reviews, rosters (entries, leave, swaps), trainings, the
-- contract and its costs. Every row carries platform_id.
--
-- Each aggregate is stored as the JSON document of its pure domain type
-- (crates/operations), validated by the domain before every write, plus the columns that
-- queries filter on: `ref_id` (the asset or staff member it is about), `day` (its local
-- Beijing date), `day_end` (the last day, for a record that spans days) and `version`
-- (optimistic concurrency: an update that finds another version than it read is refused as
-- a conflict, so two concurrent decisions cannot both win).
--
-- The foundation's `staff` table (seeded positions) is extended rather than duplicated:
-- `record` holds the person's staff record; a seeded position without a record is a demo
-- position that a real person's record can take over by its code.

ALTER TABLE staff ADD COLUMN record TEXT;
ALTER TABLE staff ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN updated_at TEXT;

CREATE TABLE ops_assets (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER,
    day         TEXT,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_assets_platform ON ops_assets (platform_id, id);

-- One inspection per asset and day, enforced by the database as well as the domain.
CREATE TABLE ops_inspections (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES ops_assets(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (platform_id, ref_id, day)
);
CREATE INDEX ops_inspections_day ON ops_inspections (platform_id, day);

CREATE TABLE ops_faults (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES ops_assets(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_faults_day ON ops_faults (platform_id, day);

CREATE TABLE ops_emergencies (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER,
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_emergencies_day ON ops_emergencies (platform_id, day);

CREATE TABLE ops_complaints (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES staff(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_complaints_day ON ops_complaints (platform_id, day);

CREATE TABLE ops_praise (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER REFERENCES staff(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_praise_day ON ops_praise (platform_id, day);

-- Roster entries: one person (ref_id), one shift, on the local day it starts (day).
CREATE TABLE ops_roster_entries (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES staff(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_roster_entries_day ON ops_roster_entries (platform_id, day);

-- Leave of one person (ref_id) from day to day_end.
CREATE TABLE ops_leaves (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES staff(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_leaves_day ON ops_leaves (platform_id, day);

-- Shift swaps: the shift given away on day by ref_id, the one taken in return on day_end.
CREATE TABLE ops_swaps (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES staff(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_swaps_day ON ops_swaps (platform_id, day);
CREATE INDEX ops_swaps_day_end ON ops_swaps (platform_id, day_end);

-- Trainings, on their day.
CREATE TABLE ops_trainings (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER,
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_trainings_day ON ops_trainings (platform_id, day);

-- Contracts: the term from day to day_end, the bill of quantities in the document.
CREATE TABLE ops_contracts (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER,
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_contracts_day ON ops_contracts (platform_id, day);

-- Monthly cost records against a contract (ref_id), on the first day of their month.
CREATE TABLE ops_costs (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES ops_contracts(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_costs_contract ON ops_costs (platform_id, ref_id, day);

-- Quality-control reviews of calls and orders: the agent reviewed (ref_id), on the local day
-- of the call (day).
CREATE TABLE ops_reviews (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    ref_id      INTEGER NOT NULL REFERENCES staff(id),
    day         TEXT NOT NULL,
    day_end     TEXT,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ops_reviews_day ON ops_reviews (platform_id, day);
