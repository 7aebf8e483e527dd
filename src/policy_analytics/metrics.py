"""The metric dictionary: every figure of `policy-analytics indicators`, its label and its definition as computed.

Governors and analysts read the same words: the reports' definitions appendix and the docs' metric
dictionary (docs/reference/metrics.md) are both rendered from `METRICS` (see `metrics_markdown`).
Settings are named as in the settings file (`targets.removal_hours`), with their value in brackets: the
default in the docs, the school's own in its reports (`metrics_for(settings)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from policy_analytics.settings import Settings, Targets


@dataclass(frozen=True)
class Metric:
    """One figure: its key path in the indicators JSON, a short label and its definition."""

    key: str  # dotted path, e.g. "response.within_target_pct"; "*" stands for each kind of export
    label: str
    definition: str


_IN_PERIOD = "reported from 00:00 on the period's first day up to 23:59:59 on its last day"
_REMOVED = "incidents reported in the period with a confirmed removal (`removed_at` filled in)"

_TEMPLATES: tuple[Metric, ...] = (  # {name} stands for a setting's value, see _setting_values
    # period
    Metric("period.start", "Period start", "The first day of the period (ISO date), included."),
    Metric("period.end", "Period end", "The last day of the period (ISO date), included: the period runs to 23:59:59 that day."),
    Metric("period.label", "Period", "The period as given on the command line: an academic year (`2025-26`), a term (`2025-26-autumn`) or a date range (`2025-09-01..2025-11-30`)."),
    Metric("period.title", "Period title", "The period in words, as reports head it (`Autumn term 2025-26`)."),
    # incidents
    Metric("incidents.total", "Incidents", f"Incidents {_IN_PERIOD} (by `reported_at`)."),
    Metric("incidents.significant", "Significant incidents", "Incidents in the period that are significant: severity in `significant.severities` ({severities}), or referred to the police (when `significant.police_referral`, {police_referral}), or raising a safeguarding concern (when `significant.safeguarding`, {safeguarding})."),
    Metric("incidents.safeguarding", "Safeguarding concerns", "Incidents in the period flagged as raising a safeguarding concern."),
    Metric("incidents.police_referrals", "Police referrals", "Incidents in the period flagged as reported to the police."),
    Metric("incidents.pupil_submitted", "Posted by pupils", "Incidents in the period whose material was submitted by a pupil (`submitted_by` = pupil); the pupil is dealt with under the behaviour policy."),
    Metric("incidents.by_category", "Incidents by category", "Incidents in the period counted by category (what kind of content or risk); categories with none are left out."),
    Metric("incidents.by_platform", "Incidents by platform", "Incidents in the period counted by the platform the material was found on (unrecognised platforms as Other); platforms with none are left out."),
    Metric("incidents.by_severity", "Incidents by severity", "Incidents in the period counted by severity (low, medium, high, critical); severities with none are left out."),
    Metric("incidents.by_school", "Incidents by school", "Incidents in the period counted by school; schools with none are left out."),
    Metric("incidents.previous_total", "Incidents, comparison period", "Incidents reported in the comparison period: the term before a term, the academic year before a year, or the same number of days immediately before a date range."),
    # response
    Metric("response.removal_needed", "Removal needed", "Incidents in the period where the school asked the host to remove or amend the material or a removal was confirmed (`removal_requested_at` or `removed_at` filled in)."),
    Metric("response.removed", "Removed", "Incidents in the period needing removal where removal was confirmed (`removed_at` filled in), as the data stands now, even if the removal came after the period ended."),
    Metric("response.within_target", "Removed within target", "Removed incidents where `removed_at` − `reported_at` is at most `targets.removal_hours` ({removal_hours}) hours; exactly {removal_hours} hours counts as within target, {removal_hours} hours and 1 minute does not."),
    Metric("response.within_target_pct", "Removed within target (%)", "Removed within target as a percentage (0-100) of removal needed, so material still visible counts against it; none to measure when no incident needed removal."),
    Metric("response.still_visible", "Still visible", "Incidents in the period needing removal with no confirmed removal: removal needed − removed."),
    Metric("response.median_hours", "Hours to removal (median)", f"Median of hours from `reported_at` to `removed_at` over {_REMOVED}; a removal recorded before the report counts as 0 hours. Percentiles interpolate linearly between the closest ranks."),
    Metric("response.p90_hours", "Hours to removal (90th percentile)", f"90th percentile (linear interpolation) of hours from `reported_at` to `removed_at` over {_REMOVED}; negatives count as 0."),
    # visibility
    Metric("visibility.median_hours", "Hours visible (median)", f"Median of hours the material stayed visible, from `posted_at` (else `reported_at`) to `removed_at`, over {_REMOVED}; negatives count as 0."),
    Metric("visibility.p90_hours", "Hours visible (90th percentile)", f"90th percentile (linear interpolation) of hours visible, from `posted_at` (else `reported_at`) to `removed_at`, over {_REMOVED}; negatives count as 0."),
    Metric("visibility.max_hours", "Hours visible (longest)", f"The longest time visible, in hours, over {_REMOVED}."),
    # recirculation
    Metric("recirculation.total_shares", "Shares", "Sum of reposts or shares observed, over incidents in the period with a shares count; none to measure when no incident has one."),
    Metric("recirculation.median_shares", "Shares per incident (median)", "Median shares over incidents in the period with a shares count (linear interpolation)."),
    Metric("recirculation.p90_shares", "Shares per incident (90th percentile)", "90th percentile (linear interpolation) of shares over incidents in the period with a shares count."),
    Metric("recirculation.max_shares", "Shares (most)", "The most shares of any incident in the period with a shares count."),
    Metric("recirculation.multi_platform", "On several platforms", "Incidents in the period found on 2 or more platforms (`platforms_reached` ≥ 2)."),
    Metric("recirculation.wide_spread", "Widely spread", "Incidents in the period with `shares` ≥ `targets.wide_spread_shares` ({wide_spread_shares}) or `platforms_reached` ≥ `targets.wide_spread_platforms` ({wide_spread_platforms})."),
    # breaches
    Metric("breaches.opened", "Breach investigations opened", "Breach investigations with `opened_at` in the period."),
    Metric("breaches.closed", "Breach investigations closed", "Breach investigations with `closed_at` in the period, whenever they were opened."),
    Metric("breaches.open_at_end", "Open at the end", "Breach investigations opened on or before the period's last day and not closed by it (no `closed_at`, or one after the last day)."),
    Metric("breaches.by_outcome", "Closed by outcome", "Breach investigations closed in the period counted by outcome (`not_recorded` when closed without one); outcomes with none are left out."),
    Metric("breaches.by_rule", "Opened by rule", "Breach investigations opened in the period counted by the rule (category) of what was posted; rules with none are left out."),
    Metric("breaches.median_days_to_close", "Days to close (median)", "Median of days from `opened_at` to `closed_at` over breach investigations closed in the period (linear interpolation)."),
    # acknowledgements
    Metric("acknowledgements.active_staff", "Staff in post", "Staff on the roster for the current policy version (`policy.version`) in post on the period's last day: `start_date` blank or on or before it, and `leave_date` blank or on or after it (a leaver's last day counts as in post)."),
    Metric("acknowledgements.acknowledged", "Acknowledged", "Staff in post who had acknowledged the current policy version by 23:59:59 on the period's last day (`acknowledged_at` filled in and not after it)."),
    Metric("acknowledgements.outstanding", "Not yet acknowledged", "Staff in post − acknowledged."),
    Metric("acknowledgements.coverage_pct", "Acknowledgement coverage (%)", "Acknowledged as a percentage (0-100) of staff in post; none to measure when no one is in post."),
    Metric("acknowledgements.by_group", "Coverage by staff group", "Staff in post, acknowledged and coverage (%) for each staff group with anyone in post, defined as above."),
    # review
    Metric("review.last_reviewed", "Last reviewed", "The date the policy was last reviewed (`policy.last_reviewed`)."),
    Metric("review.next_due", "Next review due", "The earlier of the review date printed on the policy (`policy.review_due`) and the last review plus `policy.review_interval_months` ({review_interval_months}) calendar months."),
    Metric("review.overdue", "Review overdue", "True when the period's last day is after the next review date; a review due on the last day is not overdue."),
    Metric("review.days_overdue", "Days overdue", "Days from the next review date to the period's last day when overdue, else 0."),
    # triggers
    Metric("triggers.annual_review_due", "Annual review due", "Fires when the review is overdue at the end of the period. Value: days overdue; threshold: the date the review was due."),
    Metric("triggers.significant_incidents", "Significant incidents", "Fires when significant incidents in the period reach `targets.significant_incidents` ({significant_incidents}). Value: significant incidents; threshold: that number."),
    Metric("triggers.removal_target", "{removal_hours}-hour removal target", "Fires when at least one incident needed removal and removed within target (%) is below `targets.removal_within_target_pct` ({removal_within_target_pct}); exactly at the target does not fire. Value: removed within target (%), none when nothing needed removal; threshold: the target."),
    Metric("triggers.recirculation", "Wide recirculation", "Fires when at least one incident in the period spread widely. Value: widely spread incidents; threshold: 1."),
    Metric("triggers.acknowledgement_coverage", "Acknowledgement coverage", "Fires when acknowledgement coverage (%) is below `targets.acknowledgement_coverage_pct` ({acknowledgement_coverage_pct}); exactly at the target, or no one in post, does not fire. Value: coverage (%); threshold: the target."),
    Metric("triggers.incident_rise", "Rise in incidents", "Fires when incidents in the period are at least `targets.incident_rise_min` ({incident_rise_min}) and at least `targets.incident_rise_ratio` ({incident_rise_ratio}) times the comparison period's. Value: incidents; threshold: the smallest number that fires, the larger of the minimum and the ratio times the comparison period's incidents rounded up."),
    Metric("triggers.review_events", "Changes in law and guidance", "Fires when the review-events register (shipped, plus the school's own file) holds a change in law, guidance or case law dated after the last review and on or before the period's last day. Value: those events (date, kind, title, source); threshold: 1. The reason gives the register's as-of date and warns when it is more than six months old at the period's end."),
    Metric("review_recommended", "Review recommended", "True when any trigger fired."),
    # data
    Metric("data.*.stored", "Rows stored", "For each export (incidents, breaches, acknowledgements): rows in the warehouse now, for every school and period."),
    Metric("data.*.rejected", "Rows rejected", "For each export: rows rejected over all loads, each row counted once per load however many problems it had, including rows whose id was stored from a later file."),
    Metric("data.*.last_loaded", "Last loaded", "For each export: when a file of that kind was last loaded (ISO date and time), or none if never."),
)



def _setting_values(settings: Settings) -> dict[str, str]:
    """The settings the definitions name, written as the settings file writes them."""
    t, sig = settings.targets, settings.significant
    values = {name: f"{getattr(t, name):g}" for name in Targets.__dataclass_fields__}
    return values | {
        "version": settings.policy_version,
        "review_interval_months": str(settings.review_interval_months),
        "severities": ", ".join(sig.severities) or "none",
        "police_referral": "true" if sig.police_referral else "false",
        "safeguarding": "true" if sig.safeguarding else "false",
    }


def metrics_for(settings: Settings | None = None) -> tuple[Metric, ...]:
    """The metric dictionary worded with these settings' targets (the shipped defaults when None)."""
    values = _setting_values(settings or Settings())
    return tuple(Metric(m.key, m.label.format(**values), m.definition.format(**values)) for m in _TEMPLATES)


def trigger_labels(settings: Settings | None = None) -> dict[str, str]:
    """Each review trigger's name, by id, worded with these settings ('48-hour removal target')."""
    return {m.key.removeprefix("triggers."): m.label for m in metrics_for(settings) if m.key.startswith("triggers.")}


def section_title(section: str, settings: Settings | None = None) -> str:
    """The title of a group of figures ('Response: the 48-hour removal target')."""
    return _SECTIONS[section].format(**_setting_values(settings or Settings()))


METRICS: tuple[Metric, ...] = metrics_for()
TRIGGER_LABELS: dict[str, str] = trigger_labels()

_SECTIONS: dict[str, str] = {
    "period": "Period",
    "incidents": "Incidents",
    "response": "Response: the {removal_hours}-hour removal target",
    "visibility": "Visibility",
    "recirculation": "Recirculation",
    "breaches": "Breaches",
    "acknowledgements": "Acknowledgements",
    "review": "Review",
    "triggers": "Review triggers",
    "review_recommended": "Review triggers",
    "data": "Data",
}


def metric(key: str) -> Metric:
    """The metric with this key path."""
    for m in METRICS:
        if m.key == key:
            return m
    raise KeyError(key)


def _cell(text: str) -> str:
    """Text made safe for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def metrics_markdown() -> str:
    """The docs' metric dictionary page (docs/reference/metrics.md), in Markdown, rendered from `METRICS`."""
    lines = [
        "## Metric dictionary",
        "",
        "Every figure `policy-analytics indicators` computes, with its definition exactly as computed. "
        "Unless a figure says otherwise it covers one period, both its first and last days included, and "
        "the whole organisation, or one school with `--school`. Percentages run 0-100; hours and days are "
        "unrounded; \"none to measure\" is `null` in the JSON. Settings are named as in the settings file, "
        "with their default in brackets. Generated from `src/policy_analytics/metrics.py`.",
    ]
    section = None
    for m in METRICS:
        title = section_title(m.key.split(".")[0])
        if title != section:
            section = title
            lines += ["", f"### {title}", "", "| Figure | Label | Definition |", "| --- | --- | --- |"]
        lines.append(f"| `{m.key}` | {_cell(m.label)} | {_cell(m.definition)} |")
    return "\n".join(lines) + "\n"
