"""/src submit forms in the database (SQLite and PostgreSQL): one claim wins, expired forms stay shut."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from bot.models.run_submission import Draft, Named, Submitted
from bot.storage.database import Database, open_database
from bot.storage.submission_forms import SubmissionForms

DRAFT = Draft(
    runner=Named(id="48g10dr8", name="Zeta"),
    game=Named(id="kdkmr7d1", name="Halo 2"),
    category=Named(id="wk6pexd1", name="Easy"),
    level=None,
    seconds=5025.678,
    timing="realtime",
    show_milliseconds=True,
    platform=Named(id="8gej2n93", name="PC"),
    region=None,
    played=date(2026, 11, 1),
    emulated=False,
    video=None,
    comment=None,
    splits=None,
    verified=False,
)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()


async def test_of_simultaneous_claims_one_wins_and_a_finished_form_stays_finished(
    database: Database,
) -> None:
    forms = SubmissionForms(database)
    form = await forms.create(7, DRAFT, timedelta(minutes=15))

    claims = await asyncio.gather(*(forms.claim(form.id) for _ in range(5)))
    winner = next(token for token in claims if token)
    assert not await forms.finish(form.id, "not-the-claim", Submitted(run_id="x", weblink=None, status="new"))
    assert await forms.finish(form.id, winner, Submitted(run_id="n0000001", weblink=None, status="new"))
    stored = await forms.get(form.id)

    assert sorted(token is not None for token in claims) == [False, False, False, False, True]
    assert stored is not None
    assert (stored.state, stored.draft, stored.submitted) == (
        "submitted",
        DRAFT,
        Submitted(run_id="n0000001", weblink=None, status="new"),
    )
    assert not await forms.claim(form.id)


async def test_an_expired_form_cannot_be_claimed_or_changed(database: Database) -> None:
    forms = SubmissionForms(database)
    form = await forms.create(7, DRAFT, timedelta(seconds=-1))

    assert not await forms.claim(form.id)
    assert (await forms.get(form.id)).state == "open"  # type: ignore[union-attr]


async def test_a_released_form_remembers_that_a_post_went_out(database: Database) -> None:
    forms = SubmissionForms(database)
    form = await forms.create(7, DRAFT, timedelta(minutes=15))

    token = await forms.claim(form.id)
    assert token is not None
    await forms.sending(form.id, token, form.expires_at - timedelta(minutes=15))
    await forms.release(form.id, token)
    stored = await forms.get(form.id)

    assert stored is not None
    assert (stored.state, stored.sent_at) == ("open", form.expires_at - timedelta(minutes=15))
    token = await forms.claim(form.id)
    assert token is not None
    await forms.release(form.id, token, nothing_sent=True)
    assert (await forms.get(form.id)).sent_at is None  # type: ignore[union-attr]
