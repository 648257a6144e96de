-- Rounds, answers and the aggregates that leaderboards and stats read (never the answers table).
CREATE TABLE rounds (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    workspace    TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    owner        TEXT,
    question_ids TEXT    NOT NULL,
    opened_at    TEXT    NOT NULL,
    closes_at    TEXT,
    closed_at    TEXT,
    slot         TEXT    UNIQUE
);
CREATE INDEX rounds_open ON rounds (closes_at) WHERE closed_at IS NULL;
CREATE INDEX rounds_target ON rounds (platform, workspace, channel, kind, id);
CREATE INDEX rounds_owner ON rounds (owner, kind) WHERE closed_at IS NULL;

CREATE TABLE round_messages (
    round_id INTEGER NOT NULL REFERENCES rounds (id),
    ref      TEXT    NOT NULL,
    PRIMARY KEY (round_id, ref)
);

CREATE TABLE answers (
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    question_no INTEGER NOT NULL,
    user_key    TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    choice      TEXT    NOT NULL,
    correct     INTEGER NOT NULL,
    points      INTEGER NOT NULL,
    answered_at TEXT    NOT NULL,
    elapsed_ms  INTEGER NOT NULL,
    PRIMARY KEY (round_id, question_no, user_key)
);

CREATE TABLE scores (
    scope    TEXT    NOT NULL,
    period   TEXT    NOT NULL,
    user_key TEXT    NOT NULL,
    points   INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, period, user_key)
);
CREATE INDEX scores_rank ON scores (scope, period, points DESC, correct DESC, answered);

CREATE TABLE task_stats (
    user_key TEXT    NOT NULL,
    task     TEXT    NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_key, task)
);

CREATE TABLE members (
    user_key TEXT PRIMARY KEY,
    name     TEXT NOT NULL
);

CREATE TABLE settings (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
