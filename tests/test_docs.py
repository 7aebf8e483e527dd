"""The documentation site: it builds with no warnings, its generated references are complete, and every
example on it (and in the README) runs against the synthetic sample exports and does what the page says."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from policy_analytics import cli, db, synthetic
from policy_analytics.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))
import gen_reference  # noqa: E402  (docs/gen_reference.py: the MkDocs hook that writes the references)

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in DOCS.rglob("*.md")) + ["README.md"]
FENCE = re.compile(r"^```(\w+)(?:[ \t]+title=\"([^\"]+)\")?[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    """One fenced code block of a page: its language, the file name it shows (title) and its text."""

    language: str
    title: str | None
    text: str


def examples(page: str) -> list[Example]:
    """The fenced code blocks of PAGE (a path under the repository), in order."""
    text = (ROOT / page).read_text("utf-8")
    return [Example(m.group(1), m.group(2), m.group(3)) for m in FENCE.finditer(text)]


# --- the site builds ----------------------------------------------------------------------------------


def test_site_builds_strict_with_every_page_in_the_nav(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    cli_page = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text("utf-8")
    assert "policy-analytics report termly" in cli_page
    for html in (tmp_path / "site").rglob("*.html"):
        assert "<!-- generated:" not in html.read_text("utf-8"), f"{html} kept a marker: its reference was not generated"
    nav = (ROOT / "mkdocs.yml").read_text("utf-8")
    for page in PAGES[:-1]:
        assert page.removeprefix("docs/") in nav, f"{page} is not in mkdocs.yml's nav"


def test_readme_is_short_and_sends_each_reader_to_the_docs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.encode("utf-8")) < 10_000
    for command in ("make demo", "make test", "policy-analytics load", "policy-analytics report termly"):
        assert command in readme
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).is_file(), link
    for reader in ("docs/hr/", "docs/governors/", "docs/analysts/", "docs/reference/", "docs/maintainers/"):
        assert f"]({reader}" in readme, reader


def test_every_relative_link_in_the_readme_and_docs_names_a_file() -> None:
    for page in PAGES:
        text = (ROOT / page).read_text("utf-8")
        for target in re.findall(r"\]\(((?!https?:|#|mailto:)[^)#\s]+)", text):
            assert ((ROOT / page).parent / target).exists(), f"{page} links to {target}, which does not exist"


# --- the generated references are complete --------------------------------------------------------------


def _section(markdown: str, heading: str) -> str:
    """The text under HEADING up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = markdown.index(heading + "\n")
    rest = markdown[start + len(heading):]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def test_every_settings_key_is_in_the_reference_with_its_default() -> None:
    shipped = tomllib.loads(resources.files("policy_analytics").joinpath("data/default_settings.toml").read_text("utf-8"))
    reference = gen_reference.settings_reference()
    assert len([k for section in shipped.values() for k in section]) >= 19
    for section, values in shipped.items():
        table = _section(reference, f"### `[{section}]`")
        for key, value in values.items():
            row = next((line for line in table.splitlines() if line.startswith(f"| `{key}` |")), None)
            assert row is not None, f"{section}.{key} is missing from the settings reference"
            shown = json.dumps(value) if not hasattr(value, "isoformat") else value.isoformat()
            assert f"`{shown}`" in row, (section, key, row)
    assert "| `<label>` |" in _section(reference, "### `[terms]`")


def test_a_setting_without_a_meaning_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from policy_analytics import settings

    keys = tuple(replace(k, meaning="") if k.name == "targets.removal_hours" else k for k in settings.SETTINGS_KEYS)
    monkeypatch.setattr(settings, "SETTINGS_KEYS", keys)
    with pytest.raises(KeyError, match="targets.removal_hours"):
        gen_reference.settings_reference()


def test_every_settings_key_in_the_reference_is_one_the_loader_accepts(tmp_path: Path) -> None:
    for row in gen_reference.settings_keys():
        if row["section"] == "terms":
            continue
        own = tmp_path / "own.toml"
        own.write_text(f"[{row['section']}]\n{row['key']} = {row['default']}\n", "utf-8")
        assert isinstance(load_settings(own), Settings)


def test_every_cli_command_and_option_is_in_the_reference() -> None:
    reference = gen_reference.cli_reference()
    commands = gen_reference.cli_commands()
    assert {"load", "check", "rejects", "indicators", "report termly", "report annual", "demo"} <= {w for w, _, _ in commands}
    for words, parser, _ in commands:
        section = _section(reference, f"## `{words}`")
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in section, f"`{words} {option}` is missing from the CLI reference"
            if not action.option_strings and action.help and action.metavar != "KIND":
                assert f"`{action.metavar}" in section, f"`{words}`'s argument {action.metavar} is missing"


def test_every_table_view_and_column_of_a_fresh_warehouse_is_in_the_reference(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "w.duckdb", Settings())
    columns = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall()
    con.close()
    reference = gen_reference.warehouse_reference()
    assert {"incident_facts", "breach_facts", "acknowledgement_facts", "load_summary"} <= {t for t, _ in columns}
    for table, column in columns:
        assert f"| `{column}` |" in _section(reference, f"### `{table}`"), f"{table}.{column} is missing"


def test_a_column_without_a_meaning_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    meanings = {k: v for k, v in gen_reference.COLUMN_MEANINGS.items() if k != "incident_facts.visible_hours"}
    monkeypatch.setattr(gen_reference, "COLUMN_MEANINGS", meanings)
    with pytest.raises(KeyError, match="incident_facts.visible_hours"):
        gen_reference.warehouse_reference()


def test_each_generated_reference_is_on_its_page() -> None:
    placed = {m for page in PAGES for m in gen_reference.MARKER.findall((ROOT / page).read_text("utf-8"))}
    assert placed == set(gen_reference.GENERATORS)


# --- every example runs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as a user has it: the sample exports in data/, loaded into the default warehouse, and the
    demo exports in data/demo/ loaded into data/demo/demo.duckdb with the demo settings (no reports)."""
    folder = tmp_path_factory.mktemp("docs")
    (folder / "data").mkdir()
    for name in ("incidents.csv", "breaches.xlsx", "acknowledgements.csv"):
        shutil.copyfile(ROOT / "data" / "sample" / name, folder / "data" / name)
    demo = folder / "data" / "demo"
    files = [p for group in synthetic.generate_demo_exports(demo).values() for p in group]
    settings = synthetic.write_demo_settings(demo)
    loads = [
        ["load", *map(str, files), "--db", str(demo / "demo.duckdb"), "--config", str(settings)],
        ["load", *(str(folder / "data" / n) for n in ("incidents.csv", "breaches.xlsx", "acknowledgements.csv")),
         "--db", str(folder / "data" / "policy_analytics.duckdb")],
    ]
    for argv in loads:
        assert cli.main(argv) == 0
    for page in PAGES:
        for example in examples(page):
            if example.title:
                (folder / example.title).write_text(example.text, "utf-8")
    return folder


RAN: dict[str, subprocess.CompletedProcess[str]] = {}  # each distinct command line runs once


def _run_line(line: str, folder: Path) -> None:
    words = shlex.split(line, comments=True)
    if not words:
        return
    expected = int(m.group(1)) if (m := re.search(r"#\s*exit (\d+)\s*$", line)) else 0
    if words[0] == "make":
        makefile = (ROOT / "Makefile").read_text("utf-8")
        assert all(re.search(rf"^{re.escape(t)}:", makefile, re.MULTILINE) for t in words[1:]), line
        return
    if words[:2] == ["python", "benchmarks/run.py"]:
        return  # the full benchmark takes minutes: tests/test_benchmarks.py runs it at a small scale
    assert words[0] == "policy-analytics", f"the docs test does not know how to run: {line}"
    key = " ".join(words)
    if key not in RAN:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ANALYTICS_")}
        RAN[key] = subprocess.run([sys.executable, "-m", "policy_analytics", *words[1:]], cwd=folder,
                                  capture_output=True, text=True, env=env, timeout=600)
    result = RAN[key]
    assert result.returncode == expected, f"{line}\n{result.stderr}"
    assert "Traceback" not in result.stderr


def _run_sql(query: str, folder: Path) -> None:
    settings = load_settings(folder / "data" / "demo" / "settings.toml")
    con = db.connect(folder / "data" / "demo" / "demo.duckdb", settings, read_only=True)
    try:
        assert con.sql(query).fetchall(), f"no rows from:\n{query}"
    finally:
        con.close()


def _run(example: Example, folder: Path, namespace: dict[str, Any]) -> None:
    if example.language == "sh":
        for line in example.text.splitlines():
            _run_line(line, folder)
    elif example.language == "python":
        exec(compile(example.text, "<docs example>", "exec"), namespace)  # noqa: S102
    elif example.language == "sql":
        _run_sql(example.text, folder)
    elif example.language == "toml":
        path = folder / (example.title or "example.toml")  # a titled block was written by the fixture
        path.write_text(example.text, "utf-8")
        assert isinstance(load_settings(path), Settings)
    elif example.language == "json":
        json.loads(example.text)
    else:
        assert example.language in ("text", "csv", "mermaid"), f"unknown example language {example.language}"


@pytest.mark.parametrize("page", [p for p in PAGES if any(e.language != "text" for e in examples(p))])
def test_every_example_on_the_page_runs(page: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    for name in [k for k in os.environ if k.startswith("POLICY_ANALYTICS_")]:
        monkeypatch.delenv(name)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for example in examples(page):
        _run(example, workspace, namespace)


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, sub in value.items() for k, v in _leaves(sub, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def test_the_indicators_json_example_is_what_the_command_prints(workspace: Path) -> None:
    page = "docs/reference/indicators.md"
    shown = json.loads(next(e.text for e in examples(page) if e.language == "json"))
    command = next(e.text for e in examples(page) if e.language == "sh" and "--json" in e.text).strip()
    printed = json.loads(subprocess.run([sys.executable, "-m", "policy_analytics", *shlex.split(command)[1:]],
                                        cwd=workspace, capture_output=True, text=True, check=True).stdout)
    expected = {k: v for k, v in _leaves(shown).items() if not k.endswith("last_loaded") and k != "triggers"}
    actual = _leaves(printed)
    assert {k: actual.get(k) for k in expected} == expected
    by_id = {t["id"]: t for t in printed["triggers"]}
    for trigger in shown["triggers"]:
        assert by_id[trigger["id"]] == trigger
