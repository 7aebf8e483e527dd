-- The indicator queries of docs/reference/metrics.md, read by policy_analytics.indicators.
-- Each query starts at a `-- name:` line and runs over the analyst views (incident_facts,
-- breach_facts, acknowledgement_facts, load_summary), so an analyst can run it as it stands.
--
-- Named parameters:
--   $start          the period's first day (DATE)
--   $end            the period's last day (DATE), included in the period
--   $end_exclusive  the day after $end: a timestamp is in the period when >= $start AND < $end_exclusive,
--                   so everything up to 23:59:59 on the last day counts
--   $school         one school's name, or NULL for the whole organisation
--
-- Thresholds (removal hours, what makes an incident significant or widely spread, the current
-- policy version) are not parameters: the views derive them from the settings the connection uses.
-- Percentiles are quantile_cont: linear interpolation between the closest ranks, as NumPy's default.


-- name: incidents
-- One row: counts, response, visibility and recirculation figures for incidents reported in the period.
WITH reported AS (
    SELECT *
    FROM incident_facts
    WHERE reported_at >= $start AND reported_at < $end_exclusive
      AND ($school IS NULL OR school = $school)
)
SELECT
    count(*)                                       AS total,
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
FROM reported;


-- name: incident_total
-- One row: the number of incidents reported in the period (used for the comparison period).
SELECT count(*) AS total
FROM incident_facts
WHERE reported_at >= $start AND reported_at < $end_exclusive
  AND ($school IS NULL OR school = $school);


-- name: incident_counts
-- Incidents reported in the period counted by category, platform, severity and school (no zero rows).
WITH reported AS (
    SELECT *
    FROM incident_facts
    WHERE reported_at >= $start AND reported_at < $end_exclusive
      AND ($school IS NULL OR school = $school)
)
SELECT 'by_category' AS breakdown, category AS item, count(*) AS n FROM reported GROUP BY category
UNION ALL
SELECT 'by_platform', platform, count(*) FROM reported GROUP BY platform
UNION ALL
SELECT 'by_severity', severity, count(*) FROM reported GROUP BY severity
UNION ALL
SELECT 'by_school', school, count(*) FROM reported GROUP BY school
ORDER BY breakdown, n DESC, item;


-- name: breaches
-- One row: breaches opened and closed in the period, still open at its end, and days to close.
WITH chosen AS (
    SELECT *,
           opened_at >= $start AND opened_at < $end_exclusive                     AS opened_in_period,
           coalesce(closed_at >= $start AND closed_at < $end_exclusive, false)    AS closed_in_period,
           opened_at < $end_exclusive
               AND (closed_at IS NULL OR closed_at >= $end_exclusive)             AS open_at_end
    FROM breach_facts
    WHERE $school IS NULL OR school = $school
)
SELECT
    count(*) FILTER (WHERE opened_in_period)                              AS opened,
    count(*) FILTER (WHERE closed_in_period)                              AS closed,
    count(*) FILTER (WHERE open_at_end)                                   AS open_at_end,
    quantile_cont(days_to_close, 0.5) FILTER (WHERE closed_in_period)     AS median_days_to_close
FROM chosen;


-- name: breach_counts
-- Breaches closed in the period by outcome (a closed breach without one is `not_recorded`),
-- and breaches opened in the period by the rule broken.
WITH chosen AS (
    SELECT *
    FROM breach_facts
    WHERE $school IS NULL OR school = $school
)
SELECT 'by_outcome' AS breakdown, coalesce(outcome, 'not_recorded') AS item, count(*) AS n
FROM chosen
WHERE closed_at >= $start AND closed_at < $end_exclusive
GROUP BY item
UNION ALL
SELECT 'by_rule', rule, count(*)
FROM chosen
WHERE opened_at >= $start AND opened_at < $end_exclusive
GROUP BY rule
ORDER BY breakdown, n DESC, item;


-- name: acknowledgements
-- Staff in post at the end of the period's last day on the roster for the current policy version,
-- and how many of them had acknowledged it by then: one row per staff group, and a total row
-- (staff_group NULL, always present).
WITH in_post AS (
    SELECT *
    FROM acknowledgement_facts
    WHERE current_version
      AND (start_date IS NULL OR start_date <= $end)
      AND (leave_date IS NULL OR leave_date >= $end)
      AND ($school IS NULL OR school = $school)
)
SELECT
    staff_group,
    count(*)                                                AS active_staff,
    count(*) FILTER (WHERE acknowledged_at < $end_exclusive) AS acknowledged
FROM in_post
GROUP BY ROLLUP (staff_group)
ORDER BY staff_group NULLS FIRST;


-- name: roster_versions
-- The policy versions the acknowledgement roster holds, with how many rows each (to name them when
-- no row has the settings' version).
SELECT policy_version, count(*) AS n
FROM acknowledgement_facts
WHERE ($school IS NULL OR school = $school)
GROUP BY policy_version
ORDER BY policy_version;


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
