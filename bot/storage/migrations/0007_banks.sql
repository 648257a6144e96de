-- Per-server question banks (uploaded files, each an import that can be disabled), questions hidden on a server,
-- and members' reports about questions. The same file uploaded twice (same digest) is one import. `workspace` is a workspace key (ws:platform:id) everywhere.
CREATE TABLE bank_imports (
    id          INTEGER PRIMARY KEY,
    workspace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    digest      TEXT    NOT NULL,
    questions   INTEGER NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    imported_by TEXT    NOT NULL,
    imported_at TEXT    NOT NULL,
    UNIQUE (workspace, digest)
);

-- A question of a server's own bank, stored whole as JSON (the same fields as a bank YAML file).
CREATE TABLE server_questions (
    workspace   TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    import_id   INTEGER NOT NULL REFERENCES bank_imports (id),
    data        TEXT    NOT NULL,
    PRIMARY KEY (workspace, question_id)
);
CREATE INDEX server_questions_import ON server_questions (import_id);

CREATE TABLE hidden_questions (
    workspace   TEXT NOT NULL,
    question_id TEXT NOT NULL,
    hidden_by   TEXT NOT NULL,
    hidden_at   TEXT NOT NULL,
    PRIMARY KEY (workspace, question_id)
);

-- One report per member and question on a server; reporting again replaces the reason and comment.
CREATE TABLE question_reports (
    workspace   TEXT NOT NULL,
    question_id TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    comment     TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (workspace, question_id, user_key)
);
CREATE INDEX question_reports_question ON question_reports (question_id);
