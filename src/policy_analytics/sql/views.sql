-- Analyst views: the stored rows with the derived columns every report and indicator uses.
-- Free text (incident descriptions) is left out of the views on purpose.

CREATE OR REPLACE MACRO academic_year_of(d) AS
    CASE WHEN month(d) >= 9 THEN format('{}-{:02d}', year(d), (year(d) + 1) % 100)
         ELSE format('{}-{:02d}', year(d) - 1, year(d) % 100) END;

-- Every day of every term with the term's label. The views find the term of a day by an equi-join on
-- it: the counted term windows tile the academic year (periods.term_windows), so a day has exactly one
-- term. A subquery per row would make DuckDB carry every column of
-- every row through the lookup, even for a query that only counts.
CREATE OR REPLACE MACRO term_days() AS TABLE
    SELECT CAST(unnest(range(start_date, end_date + 1, INTERVAL 1 DAY)) AS DATE) AS day, label
    FROM settings_terms;

CREATE OR REPLACE VIEW incident_facts AS
SELECT
    i.incident_id, i.school, i.reported_at, i.posted_at, i.removal_requested_at, i.removed_at,
    i.platform, i.platform_raw, i.category, i.submitted_by, i.severity,
    i.safeguarding, i.police_referral, i.isp_escalation, i.support_offered,
    i.shares, i.platforms_reached,
    CAST(i.reported_at AS DATE)                                        AS reported_date,
    CAST(date_trunc('month', i.reported_at) AS DATE)                   AS reported_month,
    academic_year_of(i.reported_at)                                    AS academic_year,
    t.label                                                            AS term,
    list_contains(s.significant_severities, i.severity)
        OR (s.significant_police AND i.police_referral)
        OR (s.significant_safeguarding AND i.safeguarding)             AS significant,
    i.removal_requested_at IS NOT NULL OR i.removed_at IS NOT NULL     AS removal_needed,
    i.removed_at IS NOT NULL                                           AS removed,
    -- hours from report to confirmed removal; negative gaps (removed before reported) count as 0
    CASE WHEN i.removed_at IS NOT NULL
         THEN greatest(epoch(i.removed_at - i.reported_at) / 3600.0, 0) END AS response_hours,
    -- hours the material stayed visible: from posting (else the report) to removal
    CASE WHEN i.removed_at IS NOT NULL
         THEN greatest(epoch(i.removed_at - coalesce(i.posted_at, i.reported_at)) / 3600.0, 0) END AS visible_hours,
    i.removed_at IS NOT NULL
        AND epoch(i.removed_at - i.reported_at) / 3600.0 <= s.removal_hours AS within_target,
    coalesce(i.platforms_reached >= 2, false)                          AS multi_platform,
    coalesce(i.shares >= s.wide_spread_shares, false)
        OR coalesce(i.platforms_reached >= s.wide_spread_platforms, false) AS wide_spread,
    i.load_id, i.source_file, i.loaded_at
FROM incidents i CROSS JOIN settings_current s
LEFT JOIN term_days() t ON t.day = CAST(i.reported_at AS DATE);

CREATE OR REPLACE VIEW breach_facts AS
SELECT
    b.breach_id, b.incident_id, b.school, b.staff_ref, b.opened_at, b.closed_at,
    b.rule, b.impact, b.outcome,
    b.closed_at IS NOT NULL                                            AS closed,
    date_diff('day', b.opened_at, b.closed_at)                         AS days_to_close,
    academic_year_of(b.opened_at)                                      AS opened_academic_year,
    o.label                                                            AS opened_term,
    c.label                                                            AS closed_term,
    b.load_id, b.source_file, b.loaded_at
FROM breaches b
LEFT JOIN term_days() o ON o.day = b.opened_at
LEFT JOIN term_days() c ON c.day = b.closed_at;

CREATE OR REPLACE VIEW acknowledgement_facts AS
SELECT
    a.staff_ref, a.school, a.staff_group, a.employment, a.start_date, a.leave_date,
    a.policy_version, a.acknowledged_at,
    a.policy_version = s.policy_version                                AS current_version,
    a.acknowledged_at IS NOT NULL                                      AS acknowledged,
    a.load_id, a.source_file, a.loaded_at
FROM acknowledgements a CROSS JOIN settings_current s;

CREATE OR REPLACE VIEW load_summary AS
SELECT l.load_id, l.kind, l.file_name, l.file_sha256, l.loaded_at, l.status,
       l.rows_read, l.rows_new, l.rows_updated, l.rows_rejected, l.ignored_columns
FROM loads l;
