"""The repository's GitHub files: CI runs hassfest, HACS's validation and .ci/run; issues and
releases ask for what a maintainer needs.

The workflows are read as YAML, as GitHub reads them: a file that does not parse, or a step that
is missing, fails here instead of silently on GitHub.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from .integration_files import REPO, manifest, read_yaml

WORKFLOWS = REPO / ".github" / "workflows"
ISSUE_TEMPLATES = REPO / ".github" / "ISSUE_TEMPLATE"
EVENTS = {"push", "pull_request", "schedule", "workflow_dispatch"}


def workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = read_yaml(WORKFLOWS / name)
    return data


def events(data: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean true; GitHub reads it as "on".
    found: dict[str, Any] = data.get("on", data.get(True))
    return found


def steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def step_using(data: dict[Any, Any], action: str) -> dict[str, Any]:
    found = [
        step for step in steps(data) if step.get("uses", "").startswith(action + "@")
    ]
    assert found, f"no step uses {action}"
    return found[0]


@pytest.mark.parametrize("name", ["validate.yml", "ci.yml"])
def test_workflows_run_on_push_pull_requests_weekly_and_by_hand(name: str) -> None:
    on = events(workflow(name))
    assert set(on) >= EVENTS, f"{name}: missing {sorted(EVENTS - set(on))}"
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    # Weekly: one day of the week, any hour and minute.
    _minute, _hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and weekday.isdigit(), cron


@pytest.mark.parametrize("name", ["validate.yml", "ci.yml"])
def test_every_action_is_pinned_and_the_repository_checked_out(name: str) -> None:
    data = workflow(name)
    for step in steps(data):
        if "uses" in step:
            assert re.fullmatch(r"[\w./-]+@[\w.-]+", step["uses"]), step["uses"]
    for job_name, job in data["jobs"].items():
        first = job["steps"][0].get("uses", "")
        assert first.startswith("actions/checkout@"), f"{name}: {job_name}"


def test_hassfest_validates_the_integration() -> None:
    step_using(workflow("validate.yml"), "home-assistant/actions/hassfest")


def test_hacs_validates_it_as_an_integration() -> None:
    step = step_using(workflow("validate.yml"), "hacs/action")
    assert step["with"]["category"] == "integration"


def test_ci_runs_the_projects_own_check() -> None:
    data = workflow("ci.yml")
    runs = [step["run"] for step in steps(data) if "run" in step]
    assert any(".ci/run" in run for run in runs), runs
    assert os.access(REPO / ".ci" / "run", os.X_OK)


def test_ci_brings_the_python_scripts_setup_wants() -> None:
    data = workflow("ci.yml")
    step = step_using(data, "actions/setup-python")
    setup = (REPO / "scripts" / "setup").read_text(encoding="utf-8")
    minimum = re.search(r'^min_version="(\d+)\.(\d+)\.\d+"', setup, re.MULTILINE)
    assert minimum
    assert str(step["with"]["python-version"]) == f"{minimum[1]}.{minimum[2]}"
    # scripts/setup looks at $PYTHON first; the runner's Python must be the one it takes.
    (ci_step,) = [s for s in steps(data) if ".ci/run" in s.get("run", "")]
    assert step.get("id"), "setup-python needs an id for its python-path output"
    assert (
        ci_step["env"]["PYTHON"] == f"${{{{ steps.{step['id']}.outputs.python-path }}}}"
    )
    assert '"${PYTHON:-}"' in setup


def test_bug_reports_ask_for_versions_diagnostics_and_logs() -> None:
    form = read_yaml(ISSUE_TEMPLATES / "bug_report.yml")
    fields = {item["id"]: item for item in form["body"] if "id" in item}
    assert {"version", "ha_version", "sign_in_path", "diagnostics", "logs"} <= set(
        fields
    )
    assert fields["version"]["validations"]["required"] is True
    assert fields["ha_version"]["validations"]["required"] is True
    assert "Download diagnostics" in fields["diagnostics"]["attributes"]["description"]
    assert (
        "custom_components.tesla_token: debug"
        in (fields["logs"]["attributes"]["description"])
    )


def test_issue_forms_parse() -> None:
    for path in ISSUE_TEMPLATES.glob("*.yml"):
        data = read_yaml(path)
        assert isinstance(data, dict), path.name
        if path.name != "config.yml":
            assert data["name"] and data["description"] and data["body"], path.name


def test_changelog_has_the_manifest_version() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.MULTILINE)
    assert manifest()["version"] in headings, headings


def test_release_checklist_names_the_manifest_version_and_changelog() -> None:
    checklist = (REPO / "docs" / "RELEASING.md").read_text(encoding="utf-8")
    assert "manifest.json" in checklist
    assert "CHANGELOG.md" in checklist
