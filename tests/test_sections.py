"""Unit tests of the report sections and the HTML pieces they are made of."""

from __future__ import annotations

from datetime import datetime

from bs4 import BeautifulSoup

from policy_analytics.reports import markup as report_html
from policy_analytics.reports import sections as report_sections
from policy_analytics.periods import term
from policy_analytics.settings import Settings
from test_tables import sample_indicators


def test_title_section_says_when_there_are_no_incidents():
    class Data:  # the few attributes title_section reads
        kind = "termly"
        settings = Settings()
        school = None
        schools: list = []
        ind = sample_indicators()
        generated_at = datetime(2026, 1, 5, 9, 0)
        no_incidents = True
        coverage_withheld = False
        scope = "All schools"

    Data.period = term("2025-26-autumn", Settings())
    Data.previous = term("2024-25-summer", Settings())
    text = BeautifulSoup(report_sections.title_section(Data).html, "html.parser").get_text(" ")
    assert "No incidents were reported in this term." in text
    assert "Autumn term 2025-26 (1 Sep 2025 to 31 Dec 2025)" in text


def test_values_are_escaped():
    block = report_html.note("<script>alert(1)</script>")
    assert "<script>" not in block.html
