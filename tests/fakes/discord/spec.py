"""Checks REST bodies against Discord's official OpenAPI description (tests/data/discord-api-spec, MIT).

Read as apis.md §4 says: every ``oneOf`` as ``anyOf`` (the spec's unions overlap), and an
integer-parseable string is accepted where the spec says integer. A snowflake may also be a JSON
integer, as Discord accepts and discord.py sends in ``allowed_mentions``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

SPEC_PATH = Path(__file__).resolve().parents[2] / "data" / "discord-api-spec" / "openapi.json"


def _integer_or_numeric_string(checker: Any, instance: object) -> bool:
    if isinstance(instance, str):
        return re.fullmatch(r"-?\d+", instance) is not None
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer"))


def _any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {("anyOf" if key == "oneOf" else key): _any_of(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_any_of(item) for item in node]
    return node


def _kinds(schemas: dict[str, Any], ref: Any) -> list[Any]:
    """The ``type`` values the schema ``ref`` names allows (a component's or a callback's)."""
    if not isinstance(ref, dict) or set(ref) != {"$ref"} or not ref["$ref"].startswith(_SCHEMAS):
        return []
    kinds = schemas.get(ref["$ref"].removeprefix(_SCHEMAS), {}).get("properties", {}).get("type", {})
    enum = kinds.get("enum") if isinstance(kinds, dict) else None
    return list(enum) if isinstance(enum, list) else []


def _discriminated(node: Any, schemas: dict[str, Any]) -> Any:
    """Every ``anyOf`` of schemas told apart by their ``type`` values (message components,
    interaction callbacks) as a lookup of the schema by that value (``by_type``, below), and every
    other ``anyOf`` with its ``null`` alternative last: the same verdicts, without judging every
    alternative of every nested component (which made a layout's check 10 times slower)."""
    if isinstance(node, list):
        return [_discriminated(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _discriminated(value, schemas) for key, value in node.items()}
    options = node.get("anyOf")
    if not isinstance(options, list):
        return node
    by_type = {str(kind): option for option in options for kind in _kinds(schemas, option)}
    told_apart = all(_kinds(schemas, option) for option in options)
    if len(options) < 2 or not told_apart or len(by_type) != sum(len(_kinds(schemas, o)) for o in options):
        nulls = [option for option in options if option == {"type": "null"}]
        return {**node, "anyOf": [option for option in options if option not in nulls] + nulls}
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    return {**rest, "by_type": by_type}


def _by_type(
    validator: Any, schemas: dict[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """The ``by_type`` keyword: ``instance`` judged by the schema of its ``type``."""
    kind = instance.get("type") if isinstance(instance, dict) else None
    chosen = schemas.get(str(kind))
    if chosen is None:
        yield ValidationError(f"{instance!r} is not one of the types {sorted(schemas, key=int)}")
        return
    yield from validator.descend(instance, chosen)


_SCHEMAS = "#/components/schemas/"


_Validator = validators.extend(
    Draft202012Validator,
    validators={"by_type": _by_type},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _integer_or_numeric_string),
)


class DiscordSpec:
    def __init__(self, spec: dict[str, Any]) -> None:
        self._components = _any_of(spec["components"])
        self._components = _discriminated(self._components, self._components["schemas"])
        snowflake = self._components["schemas"]["SnowflakeType"]
        self._components["schemas"]["SnowflakeType"] = {
            "anyOf": [snowflake, {"type": "integer", "minimum": 0}]
        }
        # (method, pattern, literal segments, operation)
        self._operations: list[tuple[str, re.Pattern[str], int, dict[str, Any]]] = []
        for template, item in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            literal = sum(1 for segment in template.split("/") if segment and "{" not in segment)
            for method, operation in item.items():
                if method != "parameters":
                    self._operations.append((method.upper(), pattern, literal, operation))
        self._validators: dict[int, Any] = {}
        self._judged: dict[tuple[int, str], list[str]] = {}

    def knows(self, method: str, path: str) -> bool:
        return self._operation(method, path) is not None

    def _operation(self, method: str, path: str) -> dict[str, Any] | None:
        # Fixed segments (e.g. /messages/@original) win over templated ones.
        matches = [
            (lit, op) for m, pattern, lit, op in self._operations if m == method and pattern.match(path)
        ]
        return max(matches, key=lambda match: match[0])[1] if matches else None

    def violations(self, method: str, path: str, body: Any) -> list[str]:
        """What is wrong with ``body`` for ``method path`` (a path below the API base), if anything."""
        operation = self._operation(method, path)
        if operation is None:
            return [f"{method} {path}: not an operation in Discord's API"]
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return [] if body is None else [f"{method} {path}: takes no JSON body"]
        validator = self._validators.get(id(operation))
        if validator is None:
            root = _discriminated(_any_of(schema), self._components["schemas"])
            validator = _Validator({**root, "components": self._components})
            self._validators[id(operation)] = validator
        # The same body (every bot start syncs the same commands) is judged once.
        seen = (id(operation), json.dumps(body, sort_keys=True))
        if seen not in self._judged:
            self._judged[seen] = [
                f"{'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message[:300]}"
                for error in validator.iter_errors(body)
            ]
        return [f"{method} {path}: {problem}" for problem in self._judged[seen]]


@cache
def discord_spec() -> DiscordSpec:
    return DiscordSpec(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
