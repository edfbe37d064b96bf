-- Related orders (关联工单) and attachment metadata (附件信息) of work orders.
-- A relation is stored in both directions so that either order lists the other.

CREATE TABLE order_relations (
    platform_id      INTEGER NOT NULL REFERENCES platforms(id),
    order_id         INTEGER NOT NULL REFERENCES work_orders(id),
    related_order_id INTEGER NOT NULL REFERENCES work_orders(id),
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (platform_id, order_id, related_order_id)
);

-- Metadata only: the file itself lives with the provincial platform or a file store; the
-- checksum lets anyone check that a file is the one recorded.
CREATE TABLE order_attachments (
    id           INTEGER PRIMARY KEY,
    platform_id  INTEGER NOT NULL REFERENCES platforms(id),
    order_id     INTEGER NOT NULL REFERENCES work_orders(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX order_attachments_order ON order_attachments (platform_id, order_id, id);
