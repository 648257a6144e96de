-- Front-door records: app installations per workspace (OAuth) and delivery ids already processed (retried events).
CREATE TABLE installations (
    platform   TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (platform, workspace, user_id)
);

CREATE TABLE seen_events (
    event_key TEXT PRIMARY KEY,
    seen_at   TEXT NOT NULL
);
CREATE INDEX seen_events_age ON seen_events (seen_at);
