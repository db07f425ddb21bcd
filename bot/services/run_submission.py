"""/src submit: a member's run checked, kept as a form, then sent to speedrun.com exactly once.

Every check that needs nothing from speedrun.com comes before any request; nothing is submitted
before the member presses Submit on the preview. A click claims the form in the database before
``POST /runs``, so double clicks, clicks at the same moment and clicks after a restart send it at
most once; when a POST gets no answer, the member's newest runs are searched for it before the
POST is tried again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from bot.clients.speedrun import SpeedrunClient
from bot.errors import KeyUnreadable, RunRefused, ServiceError, UpstreamError, UserFacingError, user_message
from bot.models import speedrun as api
from bot.models.run_submission import Draft, FormVariable, Named, Submitted
from bot.services.speedrun import pick
from bot.storage.speedrun_keys import LinkedKey, SpeedrunKeys
from bot.storage.submission_forms import Form, SubmissionForms
from bot.utils.rendering import plain, quoted
from bot.utils.run_times import FORMS, parse_run_time

log = logging.getLogger(__name__)

SEND_SECONDS = 120.0  # a click's whole attempt, well within the claim's STALE_CLAIM
LOOK_AFTER_SECONDS = 1.0  # a moment for speedrun.com to list a run it made without answering
# What one Discord message holds: five rows, one per select, and a row of buttons.
MAX_SELECTS = 4
MAX_TYPED = 3  # buttons beside Submit and Cancel
MAX_OPTIONS = 25
VIDEO_LIMIT = 255
SPLITS_LIMIT = 50
NO_KEY = "Link your speedrun.com API key first with `/src key set`: runs are submitted in your name."
UNANSWERED = (
    "speedrun.com did not answer, so the run may or may not be there. Press Submit again in a minute: "
    "the bot looks for it among your newest runs first, and sends it only if it is not there."
)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class RunRequest:
    """The run as the member typed it in ``/src submit``."""

    game: str
    category: str
    time: str
    video: str | None = None
    level: str | None = None
    platform: str | None = None
    region: str | None = None
    date: str | None = None
    emulated: bool = False
    timing: api.Timing | None = None
    comment: str | None = None
    verified: bool = False
    splits: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a Submit click came to: the form as it now stands, and why it is not submitted yet."""

    form: Form
    problems: list[str] = field(default_factory=list)  # markdown, ready to show


def _seconds(text: str) -> float:
    try:
        seconds = parse_run_time(text)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise UserFacingError(f"{quoted(text, 50)} is not a run time. Write it like {FORMS}.")
    return seconds


def _played(text: str | None) -> date:
    today = datetime.now(UTC).date()
    if text is None:
        return today
    try:
        played = date.fromisoformat(text.strip()) if _DAY.fullmatch(text.strip()) else None
    except ValueError:
        played = None
    if played is None:
        raise UserFacingError(f"{quoted(text, 30)} is not a date: write it as YYYY-MM-DD, e.g. {today}.")
    if played > today:
        raise UserFacingError(f"{played} is in the future: a run's date is the day it was played.")
    return played


def _web_link(text: str | None, what: str, limit: int) -> str | None:
    if text is None or not text.strip():
        return None
    url = text.strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= limit
    except ValueError:  # such as an unclosed [IPv6 address
        usable = False
    if not usable or " " in url:
        raise UserFacingError(f"The {what} must be an http(s) link of at most {limit} characters.")
    return url


def _splits(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text.strip()) > SPLITS_LIMIT:
        raise UserFacingError(f"`splits` is a splits.io id or link of at most {SPLITS_LIMIT} characters.")
    return text.strip()


def _variable(variable: api.Variable) -> FormVariable:
    options = tuple(Named(id=i, name=v.label) for i, v in variable.values.values.items())
    if not variable.user_defined and not options:
        raise UserFacingError(
            f"{quoted(variable.name)} has no values to choose from: submit this run on speedrun.com."
        )
    if not variable.user_defined and len(options) > MAX_OPTIONS:
        raise UserFacingError(
            f"{quoted(variable.name)} has more values than a Discord menu can list: submit this run "
            "on speedrun.com."
        )
    default = variable.values.default
    return FormVariable(
        id=variable.id,
        name=variable.name,
        mandatory=variable.mandatory,
        user_defined=variable.user_defined,
        options=() if variable.user_defined else options,
        value=None if variable.user_defined or default not in variable.values.values else default,
    )


def _system(systems: list[str | api.System], text: str | None, what: str, game: api.Game) -> Named | None:
    known = [s for s in systems if isinstance(s, api.System)]
    chosen: api.System | None
    if text:
        chosen = pick(known, text, what, game)
    elif what == "platform" and len(known) > 1:
        names = ", ".join(f"**{plain(s.name, 50)}**" for s in known[:10])
        raise UserFacingError(f"Pick the platform you played on: {names}.")
    else:
        chosen = known[0] if what == "platform" and known else None
    return Named(id=chosen.id, name=chosen.name) if chosen else None


class RunSubmissions:
    def __init__(
        self, client: SpeedrunClient, keys: SpeedrunKeys, forms: SubmissionForms, lifetime: timedelta
    ) -> None:
        self._client = client
        self._keys = keys
        self._forms = forms
        self.lifetime = lifetime

    async def prepare(self, user_id: int, request: RunRequest, *, closes_by: datetime) -> Form:
        """Checks the member's run and keeps it as an open form, until ``closes_by`` at the latest;
        ``UserFacingError`` says what is wrong. Nothing is submitted."""
        key = await self._linked(user_id)
        seconds = _seconds(request.time)
        played = _played(request.date)
        video = _web_link(request.video, "video", VIDEO_LIMIT)
        splits = _splits(request.splits)
        game = await self._client.game_details((await self._client.game(request.game)).id)
        # Where a full-game and a level category share a name, the kind that fits ``level`` comes first.
        categories = sorted(
            await self._client.categories(game.id),
            key=lambda c: (c.type == "per-level") != bool(request.level),
        )
        category = pick(categories, request.category, "category", game)
        level = await self._level(game, category, request.level)
        rules = game.ruleset
        timing = request.timing or rules.default_time
        if timing not in rules.run_times:
            allowed = " or ".join(f"`{t}`" for t in rules.run_times)
            raise UserFacingError(f"{plain(game.name, 100)} times runs by {allowed}, not by `{timing}`.")
        if rules.require_video and video is None:
            raise UserFacingError(f"{plain(game.name, 100)} requires a video: give its link in `video`.")
        if request.emulated and not rules.emulators_allowed:
            raise UserFacingError(f"{plain(game.name, 100)} does not allow runs on emulators.")
        variables = [
            _variable(v)
            for v in await self._client.variables(category.id)
            if v.category in (None, category.id)
            and v.applies_to(level.id if level else None)
            and (v.user_defined or v.values.values or v.mandatory)  # an optional one with no values: skip
        ]
        if (
            sum(not v.user_defined for v in variables) > MAX_SELECTS
            or sum(v.user_defined for v in variables) > MAX_TYPED
        ):
            raise UserFacingError(
                "That category has more variables than one Discord form holds: submit on speedrun.com."
            )
        draft = Draft(
            runner=Named(id=key.speedrun_user_id, name=key.speedrun_name),
            game=Named(id=game.id, name=game.name),
            category=Named(id=category.id, name=category.name),
            level=Named(id=level.id, name=level.name) if level else None,
            seconds=seconds,
            timing=timing,
            show_milliseconds=rules.show_milliseconds,
            platform=_system(game.platforms, request.platform, "platform", game),
            region=_system(game.regions, request.region, "region", game),
            played=played,
            emulated=request.emulated,
            video=video,
            comment=request.comment.strip() if request.comment and request.comment.strip() else None,
            splits=splits,
            verified=request.verified,
            variables=tuple(variables),
        )
        return await self._forms.create(user_id, draft, min(self.lifetime, closes_by - datetime.now(UTC)))

    async def _linked(self, user_id: int) -> LinkedKey:
        key = await self._keys.of(user_id)
        if key is None:
            raise UserFacingError(NO_KEY)
        return key

    async def _level(self, game: api.Game, category: api.Category, text: str | None) -> api.Level | None:
        name = plain(category.name, 100)
        if category.type == "per-level":
            if not text:
                raise UserFacingError(f"“{name}” is a level category: pick the `level` too.")
            return pick(await self._client.levels(game.id), text, "level", game)
        if text:
            raise UserFacingError(
                f"“{name}” is a full-game category: leave `level` out, or pick a level category."
            )
        return None

    async def form(self, form_id: str, user_id: int) -> Form:
        """The form, if ``user_id`` opened it."""
        form = await self._forms.get(form_id)
        if form is None:
            raise UserFacingError("This form is no longer kept: run `/src submit` again.")
        if form.user_id != user_id:
            raise UserFacingError("Only the member who opened this form can use it.")
        return form

    async def choose(self, form: Form, variable_id: str, value: str | None) -> Form:
        """The form with ``value`` chosen for the variable (if it is still open)."""
        if form.state != "open" or form.expired(datetime.now(UTC)):
            return form
        await self._forms.save_draft(form.id, form.draft.choosing(variable_id, value))
        return await self.form(form.id, form.user_id)

    async def cancel(self, form: Form) -> Form:
        await self._forms.cancel(form.id)
        return await self.form(form.id, form.user_id)

    async def submit(self, form: Form) -> Attempt:
        """Sends the form's run unless another click did or does; problems leave the form open."""
        token = await self._forms.claim(form.id)
        if token is None:
            return Attempt(await self.form(form.id, form.user_id))
        form = await self.form(form.id, form.user_id)  # as claimed: no change can come after this
        problems: list[str] = []
        nothing_sent = False
        try:
            if form.draft.missing:
                problems = [f"Choose {', '.join(plain(v.name, 100) for v in form.draft.missing)} first."]
            else:
                async with asyncio.timeout(SEND_SECONDS):
                    submitted = await self._send(form, await self._linked(form.user_id), token)
        except RunRefused as refused:  # speedrun.com read the run and made nothing of it
            problems = [plain(error, 300) for error in refused.errors] or [str(refused)]
            nothing_sent = True
        except (UserFacingError, ServiceError, KeyUnreadable) as error:
            problems = [user_message(error) or str(error)]
        except TimeoutError:
            problems = [UNANSWERED]
        except BaseException:
            await asyncio.shield(self._forms.release(form.id, token))
            raise
        if problems:
            await self._forms.release(form.id, token, nothing_sent=nothing_sent)
        elif not await self._forms.finish(form.id, token, submitted):
            log.error("Form %s was submitted as run %s but could not be marked so", form.id, submitted.run_id)
        return Attempt(await self.form(form.id, form.user_id), problems)

    async def _send(self, form: Form, key: LinkedKey, token: str) -> Submitted:
        if key.speedrun_user_id != form.draft.runner.id:
            raise UserFacingError(
                f"Your linked key is now {plain(key.speedrun_name, 100)}'s, not the one this form was "
                "made for: run `/src submit` again."
            )
        if form.sent_at is not None:  # an earlier click's POST may have made it
            found = await self._find(form, key, form.sent_at)
            if found:
                return found
        sent_at = form.sent_at or datetime.now(UTC)
        await self._forms.sending(form.id, token, sent_at)
        try:
            run = await self._client.submit_run(key.api_key, form.draft.body())
        except UpstreamError:
            # The run may exist: never send it again blindly (that could make it twice).
            log.warning("A run submission got no answer; looking for it among the member's newest")
            await asyncio.sleep(LOOK_AFTER_SECONDS)
            found = await self._find(form, key, sent_at)
            if found:
                return found
            raise UserFacingError(UNANSWERED) from None
        return Submitted(run_id=run.id, weblink=run.weblink, status=run.status.status)

    async def _find(self, form: Form, key: LinkedKey, sent_at: datetime) -> Submitted | None:
        """The form's run among the member's newest submissions, if speedrun.com has it."""
        for run in await self._client.newest_submissions(key.api_key, key.speedrun_user_id):
            if form.draft.is_run(run, sent_at):
                log.info("Found the submitted run %s among the member's newest", run.id)
                return Submitted(run_id=run.id, weblink=run.weblink, status=run.status.status)
        return None
