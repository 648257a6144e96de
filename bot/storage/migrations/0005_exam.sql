-- Practice exams. The round (kind 'exam') holds the question order and, once submitted, closed_at; this holds the
-- rest. Drafts are not answers: they reach the answers table and the aggregates only when the exam is submitted.
CREATE TABLE exam_attempts (
    round_id     INTEGER PRIMARY KEY REFERENCES rounds (id),
    user_key     TEXT    NOT NULL,
    short        INTEGER NOT NULL DEFAULT 0,
    deadline     TEXT    NOT NULL,
    position     INTEGER NOT NULL DEFAULT 1,
    version      INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT,
    timed_out    INTEGER NOT NULL DEFAULT 0,
    correct      INTEGER,
    score        INTEGER
);
CREATE INDEX exam_attempts_user ON exam_attempts (user_key, round_id);

CREATE TABLE exam_drafts (
    round_id    INTEGER NOT NULL REFERENCES exam_attempts (round_id),
    question_no INTEGER NOT NULL,
    choice      TEXT    NOT NULL DEFAULT '',
    flagged     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (round_id, question_no)
);
