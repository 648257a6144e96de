-- Scheduled posts (questions of the day, drills): the schedules are the source of truth, jobs are rebuilt from them.
CREATE TABLE schedules (
    id                   INTEGER PRIMARY KEY,
    kind                 TEXT    NOT NULL,
    platform             TEXT    NOT NULL,
    workspace            TEXT    NOT NULL,
    channel              TEXT    NOT NULL,
    timezone             TEXT    NOT NULL,
    at_time              TEXT,
    days                 TEXT    NOT NULL,
    cron                 TEXT,
    question_count       INTEGER NOT NULL DEFAULT 1,
    reveal_after_minutes INTEGER,
    reveal_at            TEXT,
    domain               TEXT,
    task                 TEXT,
    focus                TEXT,
    mention              TEXT,
    paused               INTEGER NOT NULL DEFAULT 0,
    pause_reason         TEXT,
    low_warned           INTEGER NOT NULL DEFAULT 0,
    active_since         TEXT    NOT NULL,
    created_by           TEXT,
    created_at           TEXT    NOT NULL
);
CREATE INDEX schedules_target ON schedules (platform, workspace, channel);

-- One row per (schedule, due time): claimed before anything is sent, so two processes never both post a slot.
CREATE TABLE schedule_slots (
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    due_at      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    claimed_at  TEXT    NOT NULL,
    claimed_by  TEXT    NOT NULL,
    round_id    INTEGER,
    message_ref TEXT,
    finished_at TEXT,
    PRIMARY KEY (schedule_id, due_at)
);

-- Drills post one card per question: each card's reference remembers its question, so edits and reveals match.
ALTER TABLE round_messages ADD COLUMN question_no INTEGER NOT NULL DEFAULT 1;
