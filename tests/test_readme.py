"""README's two opening commands are the ones CI and newcomers run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))[:2]


def test_readme_opens_with_the_run_and_the_test_command() -> None:
    run, test = readme_commands()
    assert run.endswith("python -m bot")
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci_lines


def test_every_table_is_whole() -> None:
    """A blank line inside a table ends it: what follows renders as plain text."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("|") and not lines[i - 1].startswith("|")]

    assert [lines[i] for i in starts if not lines[i + 1].startswith("|---")] == []


def test_the_bot_is_run_through_the_virtual_environment() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert re.findall(r"(?<!\.venv/bin/)python -m bot", readme) == []
