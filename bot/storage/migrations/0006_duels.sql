-- Duels and group rounds. The round (kind 'duel' or 'group', no close time: jobs `duel:{id}` and `group:{id}` drive
-- them) holds the question order and the answers; these tables hold the rest of each one's state, so a restart
-- resumes or ends it from the database alone.
CREATE TABLE duels (
    round_id          INTEGER PRIMARY KEY REFERENCES rounds (id),
    challenger        TEXT    NOT NULL,
    opponent          TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    seconds           INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    expires_at        TEXT    NOT NULL,
    accepted_at       TEXT,
    challenger_start  TEXT,
    opponent_start    TEXT,
    forfeit           TEXT,
    finished_at       TEXT,
    winner            TEXT,
    rated_weight      REAL
);
CREATE INDEX duels_challenger ON duels (challenger, state);
CREATE INDEX duels_opponent ON duels (opponent, state);
CREATE INDEX duels_open ON duels (state) WHERE state IN ('challenged', 'playing');

-- Elo per member per server (scope = the server's key).
CREATE TABLE ratings (
    scope    TEXT    NOT NULL,
    user_key TEXT    NOT NULL,
    rating   REAL    NOT NULL,
    games    INTEGER NOT NULL DEFAULT 0,
    wins     INTEGER NOT NULL DEFAULT 0,
    losses   INTEGER NOT NULL DEFAULT 0,
    draws    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, user_key)
);
CREATE INDEX ratings_rank ON ratings (scope, rating DESC);

CREATE TABLE group_rounds (
    round_id  INTEGER PRIMARY KEY REFERENCES rounds (id),
    starter   TEXT    NOT NULL,
    seconds   INTEGER NOT NULL,
    speed     INTEGER NOT NULL,
    phase     TEXT    NOT NULL,
    current   INTEGER NOT NULL DEFAULT 0,
    deadline  TEXT    NOT NULL,
    asked_at  TEXT,
    quiet     INTEGER NOT NULL DEFAULT 0,
    ended_why TEXT
);
CREATE INDEX group_rounds_open ON group_rounds (phase) WHERE phase <> 'finished';

CREATE TABLE round_players (
    round_id  INTEGER NOT NULL REFERENCES rounds (id),
    user_key  TEXT    NOT NULL,
    joined_at TEXT    NOT NULL,
    PRIMARY KEY (round_id, user_key)
);
