"""policy-check: a short policy written for these tests, with one of each kind of finding planted in it, made
into Markdown, text, DOCX (python-docx) and PDF (headless chromium, as the reports are printed); the expected
findings are worked out by hand below. A clean policy gives none."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from policy_analytics import cli, policy_check
from policy_analytics.register import ReviewEvent

UNTIL = date(2026, 12, 2)

# (heading?, text): the planted policy. Its findings, by hand:
#  - outdated names: "GDPR 2018" (data protection section), "Twitter", "Google+", "Myspace" (scope section);
#  - old guidance: KCSIE 2018, where the 2025 edition is in force;
#  - review date: "reviewed yearly", but last reviewed October 2024 and next review October 2026: 24 months;
#  - register events after 1 Oct 2024 and by 2 Dec 2026 that bear on its three sections (EVENTS below):
#    the harassment duty (harassment), the complaints process (data protection), the monitoring guidance
#    (monitoring). Not the 2024-06-01 row (before the last review), not KCSIE 2025 (no section it bears on),
#    not the 2027 row (after the end).
PLANTED = [
    (True, "Staff Social Media Policy"),
    (False, "Last reviewed: October 2024"),
    (False, "Next review: October 2026"),
    (False, "This policy is reviewed yearly by the governing body."),
    (True, "1. Scope"),
    (False, "This policy covers staff use of Facebook, Twitter, Google+ and Myspace, in and out of school."),
    (True, "2. Safeguarding"),
    (False, "Staff must follow Keeping Children Safe in Education 2018 and the Equality Act 2010."),
    (True, "3. Harassment of staff online"),
    (False, "Staff who are harassed or abused online by parents or pupils should report it to the headteacher."),
    (True, "4. Data protection"),
    (False, "Personal data about staff and pupils is handled under GDPR 2018."),
    (True, "5. Monitoring of school systems"),
    (False, "The school may monitor its own network and email to keep pupils safe."),
]
CLEAN = [
    (True, "Staff Social Media Policy"),
    (False, "Last reviewed: 1 November 2026"),
    (False, "Next review: 1 November 2027"),
    (False, "This policy is reviewed yearly by the governing body."),
    (True, "1. Scope"),
    (False, "This policy covers staff use of Facebook, Instagram and X (formerly Twitter), in and out of school."),
    (True, "2. Safeguarding"),
    (False, "Staff must follow Keeping Children Safe in Education 2025 and the Equality Act 2010."),
    (True, "3. Harassment of staff online"),
    (False, "Staff who are harassed or abused online should report it to the headteacher."),
    (True, "4. Data protection"),
    (False, "Personal data is handled under the UK GDPR and the Data Protection Act 2018."),
    (True, "5. Monitoring of school systems"),
    (False, "The school may monitor its own network and email to keep pupils safe."),
]
EVENTS = [
    ReviewEvent(date(2024, 6, 1), "legislation", "An earlier harassment change", "https://example.org/a", "t"),
    ReviewEvent(date(2025, 3, 1), "legislation", "New duty to prevent sexual harassment", "https://example.org/b", "t"),
    ReviewEvent(date(2025, 7, 1), "legislation", "Data protection complaints process required", "https://example.org/c", "t"),
    ReviewEvent(date(2025, 8, 1), "guidance", "ICO guidance on monitoring workers", "https://example.org/d", "t"),
    ReviewEvent(date(2025, 9, 1), "guidance", "Keeping Children Safe in Education 2025 in force", "https://example.org/e", "t"),
    ReviewEvent(date(2027, 1, 1), "legislation", "A later harassment change", "https://example.org/f", "t"),
]
EXPECTED = {
    ("outdated_name", "GDPR 2018", "4. Data protection"),
    ("outdated_name", "Twitter", "1. Scope"),
    ("outdated_name", "Google+", "1. Scope"),
    ("outdated_name", "Myspace", "1. Scope"),
    ("old_guidance", "Keeping Children Safe in Education 2018", "2. Safeguarding"),
    ("review_date", "reviewed yearly", "Staff Social Media Policy"),
    ("register_event", "3. Harassment of staff online", "3. Harassment of staff online"),
    ("register_event", "4. Data protection", "4. Data protection"),
    ("register_event", "5. Monitoring of school systems", "5. Monitoring of school systems"),
}


def write_markdown(blocks, path: Path) -> Path:
    path.write_text("\n\n".join(("## " if h else "") + t for h, t in blocks) + "\n", encoding="utf-8")
    return path


def write_text(blocks, path: Path) -> Path:
    path.write_text("\n".join(t for _, t in blocks) + "\n", encoding="utf-8")
    return path


def write_docx(blocks, path: Path) -> Path:
    """Headings as Word headings; the two review dates in a table, as school templates print them."""
    import docx

    document = docx.Document()
    for heading, text in blocks:
        if ":" in text and text.split(":")[0] in ("Last reviewed", "Next review"):
            row = document.add_table(rows=1, cols=2).rows[0]
            row.cells[0].text, row.cells[1].text = (part.strip() for part in text.split(":", 1))
        elif heading:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def write_pdf(blocks, path: Path) -> Path:
    """HTML printed to PDF by headless chromium, as the reports are."""
    from policy_analytics.reports import render

    if render.find_chromium() is None:
        pytest.skip("no chromium to print the PDF fixture")
    html = path.with_suffix(".html")
    html.write_text("<html><body>" + "".join(f"<h2>{t}</h2>" if h else f"<p>{t}</p>" for h, t in blocks)
                    + "</body></html>", encoding="utf-8")
    render.print_pdf(html, path)
    return path


WRITERS = {"md": write_markdown, "txt": write_text, "docx": write_docx, "pdf": write_pdf}


def _kinds(found) -> set[tuple[str, str, str]]:
    return {(f.kind, f.found, f.section) for f in found.findings}


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("policy")
    return {ext: writer(PLANTED, base / f"policy.{ext}") for ext, writer in WRITERS.items()}


@pytest.mark.parametrize("ext", list(WRITERS))
def test_every_planted_finding_is_found_in_every_format(planted, ext):
    found = policy_check.check_policy(planted[ext], EVENTS, until=UNTIL)
    assert _kinds(found) == EXPECTED
    assert (found.last_reviewed, found.next_review) == ("2024-10-01", "2026-10-01")
    events = sorted((f.date, f.now) for f in found.findings if f.kind == "register_event")
    assert events == [("2025-03-01", "New duty to prevent sexual harassment"),
                      ("2025-07-01", "Data protection complaints process required"),
                      ("2025-08-01", "ICO guidance on monitoring workers")]


@pytest.mark.parametrize("ext", list(WRITERS))
def test_a_clean_policy_has_no_findings(tmp_path, ext):
    found = policy_check.check_policy(WRITERS[ext](CLEAN, tmp_path / f"clean.{ext}"), EVENTS, until=UNTIL)
    assert found.findings == []
    assert found.named["platforms"] == ["Facebook", "Instagram", "X"]
    assert found.named["acts"] == ["Equality Act 2010", "Data Protection Act 2018"]


def test_findings_say_what_it_is_now_and_the_source(planted):
    found = {f.found: f for f in policy_check.check_policy(planted["md"], EVENTS, until=UNTIL).findings}
    assert found["GDPR 2018"].now.startswith("UK GDPR") and "legislation.gov.uk" in found["GDPR 2018"].source
    assert found["Twitter"].now == "X"
    assert found["Google+"].now == "closed to the public" and "2 April 2019" in found["Google+"].detail
    kcsie = found["Keeping Children Safe in Education 2018"]
    assert kcsie.now == "Keeping Children Safe in Education 2025" and "gov.uk" in kcsie.source
    review = found["reviewed yearly"].detail
    assert "every 12 months" in review and "24 months after" in review


def test_register_events_count_from_the_date_printed_on_the_policy(tmp_path):
    """With no printed last-review date, the settings' last review is used instead."""
    blocks = [b for b in PLANTED if not b[1].startswith(("Last reviewed", "Next review"))]
    path = write_markdown(blocks, tmp_path / "undated.md")
    found = policy_check.check_policy(path, EVENTS, last_reviewed=date(2025, 6, 30), until=UNTIL)
    assert sorted(f.date for f in found.findings if f.kind == "register_event") == ["2025-07-01", "2025-08-01"]
    assert not [f for f in found.findings if f.kind == "review_date"]  # no dates to disagree with


def test_shipped_register_events_since_october_2024(planted):
    """Against the shipped register: the 2026 changes bear on the harassment and data protection sections."""
    found = policy_check.check_policy(planted["md"], until=UNTIL)
    events = {(f.date, f.section) for f in found.findings if f.kind == "register_event"}
    assert ("2026-04-06", "3. Harassment of staff online") in events  # ERA 2025 s.23
    assert ("2026-10-01", "3. Harassment of staff online") in events  # all reasonable steps, planned
    assert ("2026-06-19", "4. Data protection") in events  # DUAA s.103 complaints process
    assert ("2024-10-26", "3. Harassment of staff online") in events  # Worker Protection Act duty


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["policy-check", *args])
    return status, out.getvalue(), err.getvalue()


def test_cli_text_and_json(planted):
    status, out, _ = _run(str(planted["docx"]))
    assert status == 0
    # 6 planted findings, and 7 shipped register rows after 1 Oct 2024 (by 2 Dec 2026) on its sections:
    # harassment 26 Oct 2024, 18 Dec 2025, 6 Apr 2026, 1 Oct 2026 (planned); data protection 19 Jun 2025,
    # 5 Feb 2026, 19 Jun 2026; nothing on monitoring.
    assert "13 things to update" in out and "Register as of 2026-12-02." in out
    assert "Google+" in out and "Source: https://" in out
    status, out, _ = _run(str(planted["pdf"]), "--json")
    data = json.loads(out)
    assert status == 0 and {f["kind"] for f in data["findings"]} == {"outdated_name", "old_guidance", "review_date", "register_event"}


@pytest.mark.parametrize("name, content, message", [
    ("missing.docx", None, "does not exist"),
    ("policy.doc", b"old", "save it as .docx"),
    ("policy.odt", b"x", "not a kind this tool reads"),
    ("broken.docx", b"not a zip", "could not be read as a Word .docx file"),
    ("broken.pdf", b"%PDF-1.4 nonsense", "could not be read as a PDF"),
])
def test_unreadable_documents_are_refused_in_one_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    status, out, err = _run(str(path))
    assert status == 1 and out == ""
    assert message in err and str(path) in err and "Traceback" not in err


def test_settings_name_the_document_relative_to_the_settings_file(tmp_path):
    from policy_analytics.settings import Settings, load_settings

    config = tmp_path / "school" / "settings.toml"
    config.parent.mkdir()
    config.write_text('[policy]\ndocument = "policies/social-media.docx"\n', encoding="utf-8")
    assert load_settings(config).policy_document == tmp_path / "school" / "policies" / "social-media.docx"
    assert Settings().policy_document is None and load_settings(None).policy_document is None


@pytest.mark.parametrize("line", ["Date approved: 01/10/2024", "Policy date: 1st October 2024", "Issued on 2024-10-01"])
def test_other_ways_of_printing_the_last_review(tmp_path, line):
    blocks = [(False, line) if text.startswith("Last reviewed") else (h, text) for h, text in PLANTED]
    found = policy_check.check_policy(write_text(blocks, tmp_path / "p.txt"), EVENTS, until=UNTIL)
    assert found.last_reviewed == "2024-10-01" and found.changes_since_from == "the policy"
    assert _kinds(found) == EXPECTED


def test_cli_without_a_printed_date_uses_only_a_school_settings_file(tmp_path, monkeypatch):
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)
    blocks = [b for b in PLANTED if not b[1].startswith(("Last reviewed", "Next review"))]
    path = write_markdown(blocks, tmp_path / "undated.md")
    status, out, _ = _run(str(path))
    assert status == 0 and "Register changes are not listed" in out and "Change since the last review" not in out
    config = tmp_path / "settings.toml"
    config.write_text("[policy]\nlast_reviewed = 2026-05-01\n", encoding="utf-8")
    status, out, _ = _run(str(path), "--config", str(config))
    assert "Register changes counted from 2026-05-01 (the last review, from the settings)." in out
    # after 1 May 2026, by today: 19 Jun 2026 (data protection) and 1 Oct 2026 (harassment, planned)
    assert out.count("- Change since the last review") == 2
