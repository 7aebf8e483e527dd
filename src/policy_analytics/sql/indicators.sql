-- The indicator queries of docs/reference/metrics.md, read by policy_analytics.indicators.
-- Each query starts at a `-- name:` line and runs over the analyst views (incident_facts,
-- breach_facts, acknowledgement_facts, load_summary), so an analyst can run it as it stands.
--
-- Every period query answers for the whole organisation and for each school in one pass
-- (GROUP BY GROUPING SETS): a row with `school` NULL is the organisation's, a row with a school's
-- name is that school's. The one-row-per-answer queries also give a row for each school in $schools
-- that has nothing in the period (counts 0), by a full join to that list; the organisation's row
-- always covers every school, listed or not.
--
-- Named parameters:
--   $start          the period's first day (DATE)
--   $end            the period's last day (DATE), included in the period
--   $end_exclusive  the day after $end: a timestamp is in the period when >= $start AND < $end_exclusive,
--                   so everything up to 23:59:59 on the last day counts
--   $schools        the schools wanted beside the organisation (VARCHAR[]; may be empty)
--
-- Thresholds (removal hours, what makes an incident significant or widely spread, the current
-- policy version) are not parameters: the views derive them from the settings the connection uses.
-- Percentiles are quantile_cont: linear interpolation between the closest ranks, as NumPy's default.


-- name: incidents
-- Per school and for the organisation: counts, response, visibility and recirculation figures for
-- incidents reported in the period.
WITH reported AS (
    SELECT *
    FROM incident_facts
    WHERE reported_at >= $start AND reported_at < $end_exclusive
),
listed AS (SELECT DISTINCT unnest($schools::VARCHAR[]) AS school)
SELECT
    listed.school,
    count(r.school)                                AS total,
    count(*) FILTER (WHERE significant)            AS significant,
    count(*) FILTER (WHERE safeguarding)           AS safeguarding,
    count(*) FILTER (WHERE police_referral)        AS police_referrals,
    count(*) FILTER (WHERE submitted_by = 'pupil') AS pupil_submitted,
    -- response: report to confirmed removal (response_hours is NULL unless removed; negatives are 0)
    count(*) FILTER (WHERE removal_needed)         AS removal_needed,
    count(*) FILTER (WHERE removed)                AS removed,
    count(*) FILTER (WHERE within_target)          AS within_target,
    quantile_cont(response_hours, 0.5)             AS response_median_hours,
    quantile_cont(response_hours, 0.9)             AS response_p90_hours,
    -- visibility: posted (else reported) to confirmed removal, over removed incidents
    quantile_cont(visible_hours, 0.5)              AS visible_median_hours,
    quantile_cont(visible_hours, 0.9)              AS visible_p90_hours,
    max(visible_hours)                             AS visible_max_hours,
    -- recirculation: shares over incidents with a shares count (NULLs are left out)
    sum(shares)                                    AS total_shares,
    quantile_cont(shares, 0.5)                     AS median_shares,
    quantile_cont(shares, 0.9)                     AS p90_shares,
    max(shares)                                    AS max_shares,
    count(*) FILTER (WHERE multi_platform)         AS multi_platform,
    count(*) FILTER (WHERE wide_spread)            AS wide_spread
FROM reported r FULL JOIN listed ON r.school = listed.school
GROUP BY GROUPING SETS ((listed.school), ())
-- a school's row for listed schools only: the rows of unlisted schools count for the organisation alone
HAVING grouping(listed.school) = 1 OR listed.school IS NOT NULL
ORDER BY listed.school NULLS FIRST;


-- name: incident_total
-- Per school and for the organisation: the number of incidents reported in the period (for the comparison period).
WITH reported AS (
    SELECT school
    FROM incident_facts
    WHERE reported_at >= $start AND reported_at < $end_exclusive
),
listed AS (SELECT DISTINCT unnest($schools::VARCHAR[]) AS school)
SELECT listed.school, count(r.school) AS total
FROM reported r FULL JOIN listed ON r.school = listed.school
GROUP BY GROUPING SETS ((listed.school), ())
HAVING grouping(listed.school) = 1 OR listed.school IS NOT NULL
ORDER BY listed.school NULLS FIRST;


-- name: incident_counts
-- Incidents reported in the period counted by category, platform, severity and school (no zero rows),
-- for each school and (school NULL) the organisation.
WITH reported AS (
    SELECT *
    FROM incident_facts
    WHERE reported_at >= $start AND reported_at < $end_exclusive
),
by_school AS (SELECT school, count(*) AS n FROM reported GROUP BY school)
SELECT school, 'by_category' AS breakdown, category AS item, count(*) AS n
FROM reported GROUP BY GROUPING SETS ((school, category), (category))
UNION ALL
SELECT school, 'by_platform', platform, count(*) FROM reported GROUP BY GROUPING SETS ((school, platform), (platform))
UNION ALL
SELECT school, 'by_severity', severity, count(*) FROM reported GROUP BY GROUPING SETS ((school, severity), (severity))
UNION ALL
SELECT NULL, 'by_school', school, n FROM by_school          -- the organisation's: every school
UNION ALL
SELECT school, 'by_school', school, n FROM by_school        -- a school's: itself
ORDER BY school NULLS FIRST, breakdown, n DESC, item;


-- name: breaches
-- Per school and for the organisation: breaches opened and closed in the period, still open at its
-- end, and days to close.
WITH chosen AS (
    SELECT school, days_to_close,
           opened_at >= $start AND opened_at < $end_exclusive                     AS opened_in_period,
           coalesce(closed_at >= $start AND closed_at < $end_exclusive, false)    AS closed_in_period,
           opened_at < $end_exclusive
               AND (closed_at IS NULL OR closed_at >= $end_exclusive)             AS open_at_end
    FROM breach_facts
),
listed AS (SELECT DISTINCT unnest($schools::VARCHAR[]) AS school)
SELECT
    listed.school,
    count(*) FILTER (WHERE opened_in_period)                              AS opened,
    count(*) FILTER (WHERE closed_in_period)                              AS closed,
    count(*) FILTER (WHERE open_at_end)                                   AS open_at_end,
    quantile_cont(days_to_close, 0.5) FILTER (WHERE closed_in_period)     AS median_days_to_close
FROM chosen c FULL JOIN listed ON c.school = listed.school
GROUP BY GROUPING SETS ((listed.school), ())
HAVING grouping(listed.school) = 1 OR listed.school IS NOT NULL
ORDER BY listed.school NULLS FIRST;


-- name: breach_counts
-- Breaches closed in the period by outcome (a closed breach without one is `not_recorded`),
-- and breaches opened in the period by the rule broken, for each school and (school NULL) the organisation.
SELECT school, 'by_outcome' AS breakdown, coalesce(outcome, 'not_recorded') AS item, count(*) AS n
FROM breach_facts
WHERE closed_at >= $start AND closed_at < $end_exclusive
GROUP BY GROUPING SETS ((school, item), (item))
UNION ALL
SELECT school, 'by_rule', rule, count(*)
FROM breach_facts
WHERE opened_at >= $start AND opened_at < $end_exclusive
GROUP BY GROUPING SETS ((school, rule), (rule))
ORDER BY school NULLS FIRST, breakdown, n DESC, item;


-- name: acknowledgements
-- Staff in post at the end of the period's last day on the roster for the current policy version,
-- and how many of them had acknowledged it by then, per school and for the organisation: one row per
-- staff group, and a total row (all_groups true, always present for the organisation and each listed school).
WITH in_post AS (
    SELECT school, staff_group, acknowledged_at
    FROM acknowledgement_facts
    WHERE current_version
      AND (start_date IS NULL OR start_date <= $end)
      AND (leave_date IS NULL OR leave_date >= $end)
),
listed AS (SELECT DISTINCT unnest($schools::VARCHAR[]) AS school)
SELECT
    listed.school,
    staff_group,
    grouping(staff_group) = 1                               AS all_groups,
    count(p.school)                                         AS active_staff,
    count(*) FILTER (WHERE acknowledged_at < $end_exclusive) AS acknowledged
FROM in_post p FULL JOIN listed ON p.school = listed.school
GROUP BY GROUPING SETS ((listed.school, staff_group), (listed.school), (staff_group), ())
HAVING (grouping(listed.school) = 1 OR listed.school IS NOT NULL)
   AND (grouping(staff_group) = 1 OR staff_group IS NOT NULL)   -- no group row for a listed school with nobody in post
ORDER BY listed.school NULLS FIRST, staff_group NULLS FIRST;


-- name: roster_versions
-- The policy versions the acknowledgement roster holds, with how many rows each (to name them when
-- no row has the settings' version), for each school and (school NULL) the organisation.
SELECT school, policy_version, count(*) AS n
FROM acknowledgement_facts
GROUP BY GROUPING SETS ((school, policy_version), (policy_version))
ORDER BY school NULLS FIRST, policy_version;


-- name: data
-- Per kind of export: rows stored, rows rejected over all loads (a row counts once per load,
-- however many problems it had, even if its id was stored later), and when a file was last loaded.
WITH kinds(kind) AS (VALUES ('incidents'), ('breaches'), ('acknowledgements')),
stored AS (
    -- the tables, not their views: the same rows, and DuckDB counts a table without reading it
    SELECT 'incidents' AS kind, count(*) AS n FROM incidents
    UNION ALL SELECT 'breaches', count(*) FROM breaches
    UNION ALL SELECT 'acknowledgements', count(*) FROM acknowledgements
),
rejected AS (
    SELECT kind, count(*) AS n
    FROM (SELECT DISTINCT kind, load_id, row_number FROM rejects)
    GROUP BY kind
),
loaded AS (
    SELECT kind, max(loaded_at) AS last_loaded FROM load_summary GROUP BY kind
)
SELECT kinds.kind, stored.n AS stored, coalesce(rejected.n, 0) AS rejected, loaded.last_loaded
FROM kinds
JOIN stored USING (kind)
LEFT JOIN rejected USING (kind)
LEFT JOIN loaded USING (kind);


-- name: schools
-- Every school named in the stored rows of any export.
SELECT school FROM incident_facts
UNION SELECT school FROM breach_facts
UNION SELECT school FROM acknowledgement_facts
ORDER BY school;
