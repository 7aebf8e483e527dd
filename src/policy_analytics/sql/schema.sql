-- The warehouse's tables (schema version 2). Run once when a warehouse is created.
-- Every stored export row carries its lineage: the load, file name, SHA-256, spreadsheet row and load time.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per file loaded (a refused file, or one identical to a file already loaded, writes nothing).
CREATE TABLE loads (
    load_id         INTEGER PRIMARY KEY,
    kind            VARCHAR NOT NULL,        -- incidents | breaches | acknowledgements
    file_name       VARCHAR NOT NULL,
    file_sha256     VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    status          VARCHAR NOT NULL,        -- loaded | unchanged
    rows_read       BIGINT NOT NULL,
    rows_new        BIGINT NOT NULL,
    rows_updated    BIGINT NOT NULL,
    rows_rejected   BIGINT NOT NULL,
    ignored_columns VARCHAR[] NOT NULL,
    rows_unchanged  BIGINT NOT NULL DEFAULT 0 -- stored before with the same values, so not rewritten
);

-- One row per problem found in a rejected row; a row can have several problems.
CREATE TABLE rejects (
    load_id     INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,             -- as a spreadsheet shows it: the header is row 1
    column_name VARCHAR,
    raw_value   VARCHAR,
    reason      VARCHAR NOT NULL
);

-- The rejects of a file's earlier loads: loading a file again moves its rejects here (`rejects --all`).
CREATE TABLE rejects_history AS SELECT * FROM rejects LIMIT 0;

CREATE TABLE incidents (
    incident_id          VARCHAR NOT NULL,
    school               VARCHAR NOT NULL,
    reported_at          TIMESTAMP NOT NULL,
    posted_at            TIMESTAMP,
    removal_requested_at TIMESTAMP,
    removed_at           TIMESTAMP,
    platform             VARCHAR NOT NULL,
    platform_raw         VARCHAR,            -- the export's own text when the platform was not recognised
    category             VARCHAR NOT NULL,
    submitted_by         VARCHAR NOT NULL,
    severity             VARCHAR NOT NULL,
    safeguarding         BOOLEAN NOT NULL,
    police_referral      BOOLEAN NOT NULL,
    isp_escalation       BOOLEAN NOT NULL,
    support_offered      BOOLEAN NOT NULL,
    shares               BIGINT,
    platforms_reached    INTEGER,
    description          VARCHAR,            -- free text: may hold personal data, never reported
    load_id              INTEGER NOT NULL,
    source_file          VARCHAR NOT NULL,
    source_sha256        VARCHAR NOT NULL,
    source_row           BIGINT NOT NULL,
    loaded_at            TIMESTAMP NOT NULL,
    school_raw           VARCHAR             -- the export's own spelling, where it differs from `school`
);

CREATE TABLE breaches (
    breach_id     VARCHAR NOT NULL,
    incident_id   VARCHAR,
    school        VARCHAR NOT NULL,
    staff_ref     VARCHAR NOT NULL,
    opened_at     DATE NOT NULL,
    closed_at     DATE,
    rule          VARCHAR NOT NULL,
    impact        VARCHAR,
    outcome       VARCHAR,                   -- blank while the investigation is ongoing
    load_id       INTEGER NOT NULL,
    source_file   VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    source_row    BIGINT NOT NULL,
    loaded_at     TIMESTAMP NOT NULL,
    school_raw    VARCHAR
);

CREATE TABLE acknowledgements (
    staff_ref       VARCHAR NOT NULL,
    policy_version  VARCHAR NOT NULL,
    school          VARCHAR NOT NULL,
    staff_group     VARCHAR NOT NULL,
    employment      VARCHAR,
    start_date      DATE,
    leave_date      DATE,
    acknowledged_at TIMESTAMP,
    load_id         INTEGER NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_sha256   VARCHAR NOT NULL,
    source_row      BIGINT NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    school_raw      VARCHAR
);

-- Reference data the views join to. Rewritten from the settings at every load; each connection
-- also shadows them with temporary copies built from its own settings, so a report always uses
-- the settings it was run with.
CREATE TABLE ref_vocab (domain VARCHAR, key VARCHAR, value VARCHAR);
CREATE TABLE settings_terms (label VARCHAR, academic_year VARCHAR, term VARCHAR, start_date DATE, end_date DATE);
CREATE TABLE settings_current (
    policy_version           VARCHAR,
    removal_hours            DOUBLE,
    significant_severities   VARCHAR[],
    significant_police       BOOLEAN,
    significant_safeguarding BOOLEAN,
    wide_spread_shares       BIGINT,
    wide_spread_platforms    BIGINT
);
