"""/src submit forms in the database, so that their buttons outlive the process and a run is sent
at most once: a click claims the form (open → sending) in one conditional UPDATE before posting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.models.run_submission import Draft, Submitted
from bot.storage.database import Database, Row, assignments, marks, utc

State = Literal["open", "sending", "submitted", "cancelled"]
STALE_CLAIM = timedelta(minutes=5)  # a claim older than this was left by a process that stopped
KEPT_AFTER_EXPIRY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Form:
    id: str
    user_id: int
    state: State
    draft: Draft
    expires_at: datetime
    sent_at: datetime | None  # set: an earlier POST may have created the run
    submitted: Submitted | None

    def expired(self, now: datetime) -> bool:
        return self.state == "open" and now >= self.expires_at


def _form(row: Row) -> Form:
    return Form(
        id=row.id,
        user_id=row.user_id,
        state=row.state,
        draft=Draft.model_validate_json(row.draft),
        expires_at=utc(row.expires_at),
        sent_at=utc(row.sent_at),
        submitted=Submitted.model_validate_json(row.submitted) if row.submitted else None,
    )


class SubmissionForms:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, user_id: int, draft: Draft, lifetime: timedelta) -> Form:
        """A new open form (and forms expired a day ago are dropped)."""
        now = datetime.now(UTC)
        form = Form(secrets.token_hex(8), user_id, "open", draft, now + lifetime, None, None)
        async with self._database.transaction() as session:
            await session.execute(
                "DELETE FROM submission_forms WHERE expires_at < ?", now - KEPT_AFTER_EXPIRY
            )
            await session.execute(
                "INSERT INTO submission_forms (id, user_id, state, draft, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                form.id,
                user_id,
                form.state,
                draft.model_dump_json(),
                now,
                form.expires_at,
            )
        return form

    async def get(self, form_id: str) -> Form | None:
        row = await self._database.fetchrow(
            "SELECT id, user_id, state, draft, expires_at, sent_at, submitted "
            "FROM submission_forms WHERE id = ?",
            form_id,
        )
        return _form(row) if row else None

    async def save_draft(self, form_id: str, draft: Draft) -> bool:
        """Keeps the changed draft of an open, unexpired form; ``False`` if it is not open."""
        return await self._move(form_id, ("open",), {"draft": draft.model_dump_json()})

    async def claim(self, form_id: str) -> str | None:
        """Takes the form for sending: the claim's token, or ``None`` if another click has it or
        the form is closed. An expired form cannot be claimed; a claim left by a stopped process is
        taken over after ``STALE_CLAIM``."""
        now = datetime.now(UTC)
        token = secrets.token_hex(8)
        claimed = await self._database.execute(
            "UPDATE submission_forms SET state = 'sending', claimed_at = ?, claimed_by = ? WHERE id = ? AND "
            "((state = 'open' AND expires_at > ?) OR (state = 'sending' AND claimed_at < ?))",
            now,
            token,
            form_id,
            now,
            now - STALE_CLAIM,
        )
        return token if claimed else None

    async def sending(self, form_id: str, token: str, since: datetime) -> None:
        """A POST is about to go out: from ``since`` on the run may exist whatever happens next."""
        await self._held(form_id, token, {"sent_at": since, "claimed_at": datetime.now(UTC)})

    async def release(self, form_id: str, token: str, *, nothing_sent: bool = False) -> None:
        """Not submitted: the form is open again; with ``nothing_sent``, no earlier POST can have
        made the run."""
        values: dict[str, Any] = {"state": "open", "claimed_at": None, "claimed_by": None}
        await self._held(form_id, token, values | ({"sent_at": None} if nothing_sent else {}))

    async def finish(self, form_id: str, token: str, submitted: Submitted) -> bool:
        return await self._held(
            form_id, token, {"state": "submitted", "submitted": submitted.model_dump_json()}
        )

    async def _held(self, form_id: str, token: str, values: dict[str, Any]) -> bool:
        """Changes a form only while ``token``'s claim holds it."""
        changed = await self._database.execute(
            f"UPDATE submission_forms SET {assignments(values)} "
            "WHERE id = ? AND state = 'sending' AND claimed_by = ?",
            *values.values(),
            form_id,
            token,
        )
        return bool(changed)

    async def cancel(self, form_id: str) -> bool:
        return await self._move(form_id, ("open",), {"state": "cancelled"})

    async def _move(self, form_id: str, states: tuple[State, ...], values: dict[str, Any]) -> bool:
        moved = await self._database.execute(
            f"UPDATE submission_forms SET {assignments(values)} "
            f"WHERE id = ? AND state IN ({marks(len(states))})",
            *values.values(),
            form_id,
            *states,
        )
        return bool(moved)
