"""The README's examples run as written (issue 12): every `recoup …` command of README.md's shell blocks, in order,
against a fresh demo database made the way `make run` makes it (`recoup db upgrade`, `recoup demo`), from a work
folder that holds the repository's sample files under the same paths. Each must exit 0 without a traceback;
the few that cannot run here are listed in SKIPPED with the reason."""

from __future__ import annotations

import os
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.cli import run_cli_here

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PASSWORD_ANSWERS = "readme-example-password-2026\n" * 2  # `user add` and `user password` ask twice
SKIPPED = {
    "recoup serve": "starts a server that runs until stopped",
    "recoup reconcile --orders o.csv --journal j.csv --settlement s.csv --engine spark":
        "needs a Spark cluster (spark://host:7077) and Java",
    "recoup user revoke-token rcp_AbCdEfGh": "the prefix is the one `recoup user tokens` lists, new each run",
}
LINKED = ("tests/fixtures", "docs/img")  # what the examples read, under the paths the README names


def shell_lines(markdown: str) -> list[str]:
    """The lines of every ```sh block, continuation lines (ending in a backslash) joined."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, flags=re.DOTALL):
        pending = ""
        for raw in block.splitlines():
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            lines.append((pending + raw).strip())
            pending = ""
    return lines


def readme_steps(markdown: str) -> list[list[str]]:
    """Each example as argv: `recoup …` commands and `export NAME=VALUE` (as ["export", NAME, VALUE])."""
    steps: list[list[str]] = []
    for line in shell_lines(markdown):
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"] and "=" in words[1]:
            steps.append(["export", *words[1].split("=", 1)])
        elif words[:1] in (["recoup"], [".venv/bin/recoup"]):
            steps.append(["recoup", *words[1:]])
    return steps


def skip_reason(argv: list[str]) -> str | None:
    command = " ".join(argv)
    return next((reason for start, reason in SKIPPED.items() if command.startswith(start)), None)


def this_year(argv: list[str]) -> list[str]:
    """The demo numbers its cases by the year it is loaded in; the README shows 2026's numbers."""
    year = datetime.now(UTC).year
    return [re.sub(r"\bRC-2026-", f"RC-{year}-", word) for word in argv]


def test_the_readme_names_its_examples() -> None:
    steps = readme_steps(README.read_text(encoding="utf-8"))
    commands = [" ".join(step[:3]) for step in steps]
    assert len(steps) >= 40
    assert "recoup case refund" in commands
    assert "recoup evidence add" in commands
    for start in SKIPPED:  # every skip names a command the README still shows
        assert start == "recoup serve" or any(" ".join(step).startswith(start) for step in steps), start


def test_shell_lines_join_continuations_and_drop_comments() -> None:
    text = "```sh\nrecoup a --x 1 \\\n     --y 2   # note\nexport RECOUP_USER=admin\n```\n"
    assert readme_steps(text) == [["recoup", "a", "--x", "1", "--y", "2"], ["export", "RECOUP_USER", "admin"]]


@pytest.mark.slow
def test_every_readme_example_runs_against_the_demo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    for linked in LINKED:
        (work / linked).parent.mkdir(parents=True, exist_ok=True)
        (work / linked).symlink_to(ROOT / linked, target_is_directory=True)
    monkeypatch.chdir(work)
    for name in [name for name in os.environ if name.startswith("RECOUP_")]:
        monkeypatch.delenv(name)
    env = {"RECOUP_VAR_DIR": str(tmp_path / "var"), "RECOUP_DATABASE_URL": "",  # the keys: the data folder's
           "RECOUP_SECRET_KEY": "", "RECOUP_CARD_TOKEN_KEY": ""}
    failures: list[str] = []
    for step in [["recoup", "db", "upgrade"], ["recoup", "demo"],
                 *readme_steps(README.read_text(encoding="utf-8"))]:
        if step[0] == "export":
            env[step[1]] = step[2]
            continue
        if skip_reason(step):
            continue
        ran = run_cli_here(this_year(step)[1:], env["RECOUP_DATABASE_URL"], env=env, input_text=PASSWORD_ANSWERS)
        if ran.returncode or "Traceback (most recent call last)" in ran.stdout + ran.stderr:
            failures.append(f"{' '.join(step)}: exit {ran.returncode}: {ran.stderr.strip()[:400]}")
    assert not failures, "\n".join(failures)
