"""/src submit forms in the database, so that their buttons outlive the process and a run is sent
at most once: a click claims the form (open → sending) in one conditional UPDATE before posting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.run_submission import Draft, Submitted
from bot.storage.database import utc
from bot.storage.tables import submission_forms as forms

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


def _form(row: Row[Any]) -> Form:
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
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, user_id: int, draft: Draft, lifetime: timedelta) -> Form:
        """A new open form (and forms expired a day ago are dropped)."""
        now = datetime.now(UTC)
        form = Form(secrets.token_hex(8), user_id, "open", draft, now + lifetime, None, None)
        async with self._engine.begin() as connection:
            await connection.execute(forms.delete().where(forms.c.expires_at < now - KEPT_AFTER_EXPIRY))
            await connection.execute(
                forms.insert().values(
                    id=form.id,
                    user_id=user_id,
                    state=form.state,
                    draft=draft.model_dump_json(),
                    created_at=now,
                    expires_at=form.expires_at,
                )
            )
        return form

    async def get(self, form_id: str) -> Form | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(forms).where(forms.c.id == form_id))).first()
        return _form(row) if row else None

    async def save_draft(self, form_id: str, draft: Draft) -> bool:
        """Keeps the changed draft of an open, unexpired form; ``False`` if it is not open."""
        return await self._move(form_id, ("open",), {"draft": draft.model_dump_json()})

    async def claim(self, form_id: str) -> str | None:
        """Takes the form for sending: the claim's token, or ``None`` if another click has it or
        the form is closed. An expired form cannot be claimed; a claim left by a stopped process is
        taken over after ``STALE_CLAIM``."""
        now = datetime.now(UTC)
        claimable = ((forms.c.state == "open") & (forms.c.expires_at > now)) | (
            (forms.c.state == "sending") & (forms.c.claimed_at < now - STALE_CLAIM)
        )
        token = secrets.token_hex(8)
        async with self._engine.begin() as connection:
            claimed = await connection.execute(
                forms.update()
                .where(forms.c.id == form_id, claimable)
                .values(state="sending", claimed_at=now, claimed_by=token)
            )
        return token if claimed.rowcount else None

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
        async with self._engine.begin() as connection:
            changed = await connection.execute(
                forms.update()
                .where(forms.c.id == form_id, forms.c.state == "sending", forms.c.claimed_by == token)
                .values(**values)
            )
        return bool(changed.rowcount)

    async def cancel(self, form_id: str) -> bool:
        return await self._move(form_id, ("open",), {"state": "cancelled"})

    async def _move(self, form_id: str, states: tuple[State, ...], values: dict[str, Any]) -> bool:
        async with self._engine.begin() as connection:
            moved = await connection.execute(
                forms.update().where(forms.c.id == form_id, forms.c.state.in_(states)).values(**values)
            )
        return bool(moved.rowcount)
