-- Work orders (工单): the current state of each order, its daily number sequence and the
-- matter taxonomy. The lifecycle's full state is the JSON `snapshot` (rexian_orders::
-- OrderSnapshot); the columns beside it are copies for filtering, sorting and the timers.
-- Every change to an order writes its events in the same transaction (see orders_sql.rs).

CREATE TABLE matter_categories (
    id          INTEGER PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT,
    active      BOOLEAN NOT NULL,
    UNIQUE (platform_id, code)
);

-- The default taxonomy every new sub-platform starts with (editable afterwards).
CREATE TABLE matter_category_defaults (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT
);
INSERT INTO matter_category_defaults (code, name, parent_code) VALUES
    ('01', '城乡建设', NULL),
    ('01.01', '住房保障', '01'),
    ('01.02', '物业管理', '01'),
    ('01.03', '房屋质量与安全', '01'),
    ('02', '交通运输', NULL),
    ('02.01', '道路交通设施', '02'),
    ('02.02', '公共交通与客运', '02'),
    ('03', '公用事业', NULL),
    ('03.01', '供水', '03'),
    ('03.02', '供电', '03'),
    ('03.03', '通信网络', '03'),
    ('04', '市场监管', NULL),
    ('04.01', '食品安全', '04'),
    ('04.02', '消费维权', '04'),
    ('04.03', '价格监督', '04'),
    ('05', '劳动和社会保障', NULL),
    ('05.01', '欠薪讨薪', '05'),
    ('05.02', '社会保险', '05'),
    ('05.03', '医疗保障', '05'),
    ('06', '教育', NULL),
    ('06.01', '入学招生', '06'),
    ('06.02', '学校管理', '06'),
    ('07', '卫生健康', NULL),
    ('07.01', '医疗服务', '07'),
    ('07.02', '疫苗接种与公共卫生', '07'),
    ('08', '生态环境', NULL),
    ('08.01', '噪声污染', '08'),
    ('08.02', '水污染与大气污染', '08'),
    ('09', '农业农村', NULL),
    ('09.01', '橡胶与热带农业', '09'),
    ('09.02', '农村基础设施', '09'),
    ('10', '公共安全', NULL),
    ('10.01', '治安管理', '10'),
    ('10.02', '消防安全', '10'),
    ('11', '民政与社会救助', NULL),
    ('11.01', '低保与救助', '11'),
    ('11.02', '养老服务', '11'),
    ('12', '城市管理与综合执法', NULL),
    ('12.01', '违章建筑', '12'),
    ('12.02', '市容环境卫生', '12'),
    ('13', '旅游', NULL),
    ('14', '政务服务', NULL),
    ('99', '其他', NULL);

INSERT INTO matter_categories (platform_id, code, name, parent_code, active)
    SELECT p.id, d.code, d.name, d.parent_code, 1 FROM platforms p, matter_category_defaults d;

CREATE TRIGGER platforms_default_categories AFTER INSERT ON platforms
BEGIN
    INSERT INTO matter_categories (platform_id, code, name, parent_code, active)
        SELECT NEW.id, code, name, parent_code, 1 FROM matter_category_defaults;
END;

-- Order numbers: prefix + yyyymmdd (Beijing day) + a 4-digit sequence per sub-platform per day.
CREATE TABLE order_sequences (
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    day         TEXT NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (platform_id, day)
);

CREATE TABLE work_orders (
    id                 INTEGER PRIMARY KEY,
    platform_id        INTEGER NOT NULL REFERENCES platforms(id),
    number             TEXT NOT NULL,
    kind               TEXT NOT NULL,
    state              TEXT NOT NULL,
    urgent             BOOLEAN NOT NULL,
    confidential       BOOLEAN NOT NULL,
    leader_flagged     BOOLEAN NOT NULL,
    source             TEXT NOT NULL,
    supervision_level  TEXT NOT NULL,
    category_code      TEXT,
    title              TEXT NOT NULL,
    content            TEXT NOT NULL,
    caller_name        TEXT NOT NULL,
    caller_phone       TEXT NOT NULL,
    town               TEXT,
    address            TEXT,
    lat                REAL,
    lng                REAL,
    call_id            TEXT,
    lead_department_id INTEGER REFERENCES departments(id),
    reply_content      TEXT,
    public_reply       TEXT,
    snapshot           TEXT NOT NULL,
    sign_due_at        TEXT,
    handle_due_at      TEXT,
    callback_due_at    TEXT,
    next_timer_at      TEXT,
    version            INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    idempotency_key    TEXT,
    UNIQUE (platform_id, number),
    UNIQUE (platform_id, idempotency_key)
);
-- A department's inbox: its open orders by deadline, read from an index without sorting.
CREATE INDEX work_orders_open_inbox ON work_orders (platform_id, lead_department_id, handle_due_at, id)
    WHERE state IN ('dispatched', 'signed', 'in_progress', 'return_requested',
                    'extension_requested', 'reopened');
CREATE INDEX work_orders_inbox ON work_orders (platform_id, lead_department_id, state, handle_due_at, id);
CREATE INDEX work_orders_platform ON work_orders (platform_id, id);
CREATE INDEX work_orders_state ON work_orders (platform_id, state, callback_due_at, id);
CREATE INDEX work_orders_timer ON work_orders (next_timer_at) WHERE next_timer_at IS NOT NULL;
CREATE INDEX work_orders_phone ON work_orders (platform_id, caller_phone);
CREATE INDEX work_orders_created ON work_orders (platform_id, created_at);

-- Holiday schedules an administrator set for a year (added to, or replacing, the bundled
-- State Council schedules of config/holidays.toml for this sub-platform's deadlines).
CREATE TABLE holiday_schedules (
    platform_id INTEGER NOT NULL REFERENCES platforms(id),
    year        INTEGER NOT NULL,
    schedule    TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (platform_id, year)
);
