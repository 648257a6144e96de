-- Study plans: one per channel, the task layout as JSON (a list of weeks, each a list of task ids) and the two
-- schedules (weekly recap, final-week countdown) it owns.
CREATE TABLE study_plans (
    platform           TEXT    NOT NULL,
    workspace          TEXT    NOT NULL,
    channel            TEXT    NOT NULL,
    weeks              INTEGER NOT NULL,
    exam_date          TEXT    NOT NULL,
    layout             TEXT    NOT NULL,
    ready_pct          INTEGER NOT NULL DEFAULT 75,
    comfortable_pct    INTEGER NOT NULL DEFAULT 80,
    recap_schedule     INTEGER,
    countdown_schedule INTEGER,
    created_by         TEXT,
    created_at         TEXT    NOT NULL,
    PRIMARY KEY (platform, workspace, channel)
);

-- Accuracy per channel, day and task (member '' is the whole channel), written in the answer's own transaction,
-- so a weekly recap compares weeks per task and member without scanning the answers table.
CREATE TABLE task_days (
    scope    TEXT    NOT NULL,
    member   TEXT    NOT NULL,
    day      TEXT    NOT NULL,
    task     TEXT    NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, member, day, task)
);
CREATE INDEX task_days_scope_day ON task_days (scope, day);
