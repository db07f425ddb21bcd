"""The Alembic migrations, and the head revision read from their files without importing Alembic."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).parent
_REVISION = re.compile(r'^(down_revision|revision) = (?:"([^"]*)"|None)$', re.MULTILINE)


def head_revision() -> str:
    """The revision no other migration revises: where ``alembic upgrade head`` leads."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else revised).add(value)
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()
