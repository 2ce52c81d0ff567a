-- The model lifecycle: training runs become a job queue (claimed by one worker, which keeps a
-- heartbeat and reports progress; a cancel is asked for and honoured between steps), and A/B
-- experiments with their attributed events.

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the new status.
CREATE TABLE training_runs_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    model_name       TEXT   NOT NULL,
    config_id        BIGINT REFERENCES model_configs (id),
    status           TEXT   NOT NULL
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    params           TEXT  NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    error            TEXT,
    model_version_id BIGINT REFERENCES model_versions (id),
    progress         TEXT   NOT NULL DEFAULT '{}',
    worker           TEXT,
    heartbeat_at     BIGINT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO training_runs_new (id, model_name, config_id, status, params, created_at, started_at,
                               finished_at, error, model_version_id)
    SELECT id, model_name, config_id, status, params, created_at, started_at, finished_at, error,
           model_version_id FROM training_runs;
DROP TABLE training_runs;
ALTER TABLE training_runs_new RENAME TO training_runs;
CREATE INDEX training_runs_model_idx ON training_runs (model_name, created_at);
CREATE INDEX training_runs_status_idx ON training_runs (status, id);

CREATE TABLE experiments (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT   NOT NULL,
    placement           TEXT   NOT NULL,
    status              TEXT   NOT NULL CHECK (status IN ('running', 'stopped')),
    -- a purchase or cart add counts for an arm when its subject clicked that arm's list within
    -- this many milliseconds before
    attribution_window  BIGINT NOT NULL CHECK (attribution_window > 0),
    created_by          BIGINT REFERENCES users (id),
    created_at          BIGINT NOT NULL,
    stopped_at          BIGINT,
    winner_arm          BIGINT
);
-- one running experiment per placement
CREATE UNIQUE INDEX experiments_one_running ON experiments (placement) WHERE status = 'running';

CREATE TABLE experiment_arms (
    experiment_id    BIGINT NOT NULL REFERENCES experiments (id),
    arm              BIGINT NOT NULL CHECK (arm >= 0),
    model_version_id BIGINT NOT NULL REFERENCES model_versions (id),
    weight           REAL   NOT NULL CHECK (weight > 0),
    PRIMARY KEY (experiment_id, arm)
);

-- Append-only like `events`, and like it without foreign keys on the hot path.
-- subject: 'u<user id>' for a signed-in user, 's<session id>' for a visitor.
CREATE TABLE experiment_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id BIGINT NOT NULL,
    arm           BIGINT NOT NULL,
    subject       TEXT   NOT NULL,
    kind          TEXT   NOT NULL CHECK (kind IN ('impression', 'click', 'add_to_cart', 'purchase')),
    value_cents   BIGINT NOT NULL DEFAULT 0 CHECK (value_cents >= 0),
    at            BIGINT NOT NULL
);
CREATE INDEX experiment_events_arm_idx ON experiment_events (experiment_id, arm, kind);
CREATE INDEX experiment_events_subject_idx ON experiment_events (subject, kind, at);
