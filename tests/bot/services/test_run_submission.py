"""RunSubmissions on its own: /src submit's form prepared, completed and sent through a real
SpeedrunClient to the local speedrun.com, kept in real stores on SQLite; no Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from bot.clients.speedrun import SpeedrunClient
from bot.config import SpeedrunConfig
from bot.errors import UserFacingError
from bot.runtime.telemetry import Telemetry
from bot.services.run_submission import NO_KEY, RunRequest, RunSubmissions
from bot.storage.database import Database, open_database
from bot.storage.speedrun_keys import SpeedrunKeys
from bot.storage.submission_forms import Form, SubmissionForms
from tests.fakes.speedrun_server import FakeSpeedrun

MEMBER = 111
KEY = "r0hbq2qq84hf9t47jdvmeh4gl"
ZETA = "48g10dr8"
HALO_2 = "kdkmr7d1"
PLAYERS, SOLO = "2lgz978p", "21d4zvp1"
RUN = RunRequest(
    game="halo2",
    category="wk6pexd1",
    time="1:23:45.678",
    video="https://youtu.be/halo2run",
    platform="8gej2n93",
    region="pr184lqn",
    date=(datetime.now(UTC).date() - timedelta(days=3)).isoformat(),
)


@dataclass(frozen=True, slots=True)
class Submitting:
    service: RunSubmissions
    server: FakeSpeedrun
    database: Database

    async def open_form(self, user_id: int = MEMBER) -> Form:
        """The member's full-game run, its Players not chosen yet."""
        return await self.service.prepare(user_id, RUN, closes_by=datetime.now(UTC) + timedelta(minutes=15))

    async def ready_form(self) -> Form:
        """The member's full-game run, every mandatory variable chosen."""
        return await self.service.choose(await self.open_form(), PLAYERS, SOLO)

    def halo_2_runs(self) -> list[str]:
        """The runs speedrun.com now has of Halo 2 (it had none before the test)."""
        return [run_id for run_id, run in self.server.runs.items() if run["game"] == HALO_2]


@pytest.fixture
async def submitting(database_copy: str, speedrun_server: FakeSpeedrun) -> AsyncIterator[Submitting]:
    """The service, for a member whose key is linked."""
    database = await open_database(database_copy)
    config = SpeedrunConfig(base_url=speedrun_server.base_url, key_secret=SecretStr("a test secret"))
    keys = SpeedrunKeys(database, config)
    speedrun_server.api_keys[KEY] = ZETA
    await keys.link(MEMBER, SecretStr(KEY), ZETA, "Zeta")
    try:
        async with aiohttp.ClientSession() as session:
            client = SpeedrunClient(session, config, Telemetry(["speedrun.com"]))
            service = RunSubmissions(client, keys, SubmissionForms(database), timedelta(minutes=15))
            yield Submitting(service, speedrun_server, database)
    finally:
        await database.close()


async def test_two_submits_at_once_send_the_run_once(submitting: Submitting) -> None:
    form = await submitting.ready_form()
    assert submitting.halo_2_runs() == []

    attempts = await asyncio.gather(submitting.service.submit(form), submitting.service.submit(form))
    late = await submitting.service.submit(form)

    assert len(submitting.server.submitted) == 1
    assert submitting.server.submitted[0]["run"]["variables"][PLAYERS] == {
        "type": "pre-defined",
        "value": SOLO,
    }
    assert [a.problems for a in [*attempts, late]] == [[], [], []]
    (run_id,) = submitting.halo_2_runs()
    assert late.form.state == "submitted"
    assert late.form.submitted is not None
    assert (late.form.submitted.run_id, late.form.submitted.status) == (run_id, "new")
    assert late.form.submitted.weblink == f"https://www.speedrun.com/run/{run_id}"


async def test_an_unanswered_post_is_found_among_the_members_newest_runs(submitting: Submitting) -> None:
    form = await submitting.ready_form()
    submitting.server.submit_faults.append("lost answer")  # the run is made, the answer lost

    attempt = await submitting.service.submit(form)

    assert attempt.problems == []
    assert len(submitting.server.submitted) == 1, "looked for, not sent again"
    (run_id,) = submitting.halo_2_runs()
    assert attempt.form.submitted is not None
    assert (attempt.form.state, attempt.form.submitted.run_id) == ("submitted", run_id)


async def test_a_post_left_unanswered_by_a_stopped_bot_is_found_before_sending(
    submitting: Submitting,
) -> None:
    form = await submitting.ready_form()
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    await submitting.database.execute(  # the bot stopped right after its POST
        "UPDATE submission_forms SET state = 'sending', claimed_at = ?, claimed_by = 'gone', sent_at = ? "
        "WHERE id = ?",
        long_ago,
        long_ago,
        form.id,
    )
    made = submitting.server.add_submitted({"run": form.draft.body()}, ZETA)

    attempt = await submitting.service.submit(form)

    assert submitting.server.submitted == []
    assert attempt.form.submitted is not None
    assert (attempt.form.state, attempt.form.submitted.run_id) == ("submitted", made["id"])


async def test_a_refused_run_shows_speedrun_coms_problems_and_stays_open(submitting: Submitting) -> None:
    form = await submitting.ready_form()
    halo_2 = next(g for g in submitting.server.games if g["id"] == HALO_2)
    halo_2["platforms"] = ["o7e2mx6w"]  # the moderators changed the rules meanwhile

    refused = await submitting.service.submit(form)

    assert refused.problems == ["[platform] is not a platform of this game"]
    assert (refused.form.state, refused.form.sent_at) == ("open", None), "nothing made: nothing to look for"
    assert submitting.halo_2_runs() == []
    halo_2["platforms"] = ["8gej2n93", "o7e2mx6w"]
    again = await submitting.service.submit(refused.form)
    assert (again.problems, again.form.state) == ([], "submitted")
    assert len(submitting.server.submitted) == 2
    assert len(submitting.halo_2_runs()) == 1


async def test_a_form_missing_a_choice_is_not_sent(submitting: Submitting) -> None:
    form = await submitting.open_form()

    attempt = await submitting.service.submit(form)

    assert attempt.problems == ["Choose Players first."]
    assert attempt.form.state == "open"
    assert submitting.server.submitted == []


async def test_a_cancelled_form_changes_and_sends_nothing(submitting: Submitting) -> None:
    form = await submitting.open_form()

    cancelled = await submitting.service.cancel(form)
    chosen = await submitting.service.choose(cancelled, PLAYERS, SOLO)
    attempt = await submitting.service.submit(chosen)

    assert (cancelled.state, attempt.form.state) == ("cancelled", "cancelled")
    assert [v.value for v in attempt.form.draft.variables if v.id == PLAYERS] == [None]
    assert submitting.server.submitted == []


async def test_only_the_member_who_opened_a_form_can_use_it(submitting: Submitting) -> None:
    form = await submitting.ready_form()

    with pytest.raises(UserFacingError) as raised:
        await submitting.service.form(form.id, MEMBER + 1)
    assert str(raised.value) == "Only the member who opened this form can use it."
    assert (await submitting.service.form(form.id, MEMBER)).state == "open"


async def test_a_member_without_a_linked_key_is_told_and_nothing_is_asked(submitting: Submitting) -> None:
    submitting.server.requests.clear()

    with pytest.raises(UserFacingError) as raised:
        await submitting.open_form(MEMBER + 1)

    assert str(raised.value) == NO_KEY
    assert submitting.server.requests == []
