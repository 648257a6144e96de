-- Learning progress: daily activity (streaks, trends), group accuracy per task, spaced-repetition cards, and who
-- opted in to the global leaderboard. Every table is an aggregate written in the answer's own transaction.

-- `subject` is a member's key, or a scope key (channel, workspace, "global") for the group's totals.
-- `day` is the local calendar date (YYYY-MM-DD) in the timezone of the channel the answer was given in.
CREATE TABLE daily_stats (
    subject  TEXT    NOT NULL,
    day      TEXT    NOT NULL,
    domain   TEXT    NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, day, domain)
);

CREATE TABLE group_task_stats (
    scope    TEXT    NOT NULL,
    task     TEXT    NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, task)
);

-- One FSRS card per member and question; times are aware UTC ISO strings, so text order is time order.
CREATE TABLE review_cards (
    user_key    TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    state       INTEGER NOT NULL,
    step        INTEGER,
    stability   REAL,
    difficulty  REAL,
    due         TEXT    NOT NULL,
    last_review TEXT,
    reviews     INTEGER NOT NULL DEFAULT 0,
    lapses      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_key, question_id)
);
CREATE INDEX review_cards_due ON review_cards (user_key, due);

CREATE TABLE global_optin (
    user_key     TEXT PRIMARY KEY,
    opted_in_at  TEXT NOT NULL
);

-- Seasons are calendar quarters; months nest in them, so existing month totals add up to exact season totals.
INSERT INTO scores (scope, period, user_key, points, answered, correct)
SELECT scope,
       's:' || substr(period, 3, 4) || '-Q' || CAST(((CAST(substr(period, 8, 2) AS INTEGER) + 2) / 3) AS TEXT),
       user_key, SUM(points), SUM(answered), SUM(correct)
FROM scores
WHERE period LIKE 'm:%'
GROUP BY scope, 's:' || substr(period, 3, 4) || '-Q' || CAST(((CAST(substr(period, 8, 2) AS INTEGER) + 2) / 3) AS TEXT),
         user_key;

-- The global board adds up every workspace's totals (it lists only members who opted in).
INSERT INTO scores (scope, period, user_key, points, answered, correct)
SELECT 'global', period, user_key, SUM(points), SUM(answered), SUM(correct)
FROM scores
WHERE scope LIKE 'ws:%'
GROUP BY period, user_key;
