"""What the local speedrun.com checks in a submitted run, as the real one does: the official JSON
schema (tests/data/speedrun-schema/run-submit.json), then the game's rules."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "speedrun-schema"


@cache
def _validator() -> Draft4Validator:
    def load(name: str) -> Any:
        return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))

    definitions = Resource.from_contents(load("definitions.json"), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("definitions.json", definitions)
    return Draft4Validator(load("run-submit.json"), registry=registry)


def schema_problems(run: Any) -> list[str]:
    """Problems in the style of speedrun.com's ``errors``: ``[field] what is wrong``."""
    return [
        f"[{'.'.join(str(p) for p in error.absolute_path) or 'run'}] {error.message}"
        for error in sorted(_validator().iter_errors(run), key=lambda e: list(map(str, e.absolute_path)))
    ]


def rule_problems(
    run: dict[str, Any],
    game: dict[str, Any],
    category: dict[str, Any] | None,
    levels: list[dict[str, Any]],
    variables: list[dict[str, Any]],
) -> list[str]:
    """What the game's rules say about ``run`` (which fits the schema)."""
    if category is None:
        return ["[category] is not a category of this game"]
    problems: list[str] = []
    rules = game.get("ruleset", {})
    level = run.get("level")
    if category["type"] == "per-level" and level not in {lv["id"] for lv in levels}:
        problems.append("[level] a level of the game is required for an individual-level category")
    if category["type"] == "per-game" and level is not None:
        problems.append("[level] a full-game category takes no level")
    if run.get("platform") not in game.get("platforms", []):
        problems.append("[platform] is not a platform of this game")
    if "region" in run and run["region"] not in game.get("regions", []):
        problems.append("[region] is not a region of this game")
    allowed = set(rules.get("run-times", ["realtime"]))
    if not run["times"] or set(run["times"]) - allowed:
        problems.append(f"[times] must only give the game's timings: {sorted(allowed)}")
    video = run.get("video")
    if rules.get("require-video") and not video:
        problems.append("[video] this game requires a video")
    if video and (urlsplit(video).scheme not in ("http", "https") or not urlsplit(video).netloc):
        problems.append("[video] is not a valid http(s) URL")
    if "date" in run and date.fromisoformat(run["date"]) > datetime.now(UTC).date():
        problems.append("[date] lies in the future")
    if run.get("emulated") and not rules.get("emulators-allowed"):
        problems.append("[emulated] this game does not allow emulators")
    given = run.get("variables", {})
    for variable in variables:
        value = given.get(variable["id"])
        if value is None:
            if variable.get("mandatory"):
                problems.append(f"[variables.{variable['id']}] {variable['name']} is mandatory")
        elif value["type"] == "pre-defined" and value["value"] not in variable["values"]["values"]:
            problems.append(f"[variables.{variable['id']}] is not a value of {variable['name']}")
        elif value["type"] == "user-defined" and not variable.get("user-defined"):
            problems.append(f"[variables.{variable['id']}] {variable['name']} takes no typed value")
    unknown = set(given) - {v["id"] for v in variables}
    problems += [f"[variables.{name}] does not apply to this run" for name in sorted(unknown)]
    return problems
