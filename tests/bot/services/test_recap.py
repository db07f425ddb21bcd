"""When a server's weekly recap is due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models.settings import RecapFilters
from bot.services.recap import due_at

WEDNESDAY_1430 = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "hour", "since", "due"),
    [
        (2, 14, None, datetime(2026, 12, 2, 14, tzinfo=UTC)),  # this very hour
        (2, 15, None, datetime(2026, 11, 25, 15, tzinfo=UTC)),  # later today: last week's
        (0, 18, None, datetime(2026, 11, 30, 18, tzinfo=UTC)),  # Monday, the default
        (6, 0, None, datetime(2026, 11, 29, 0, tzinfo=UTC)),
        # Set at the start of this hour: this hour's recap is the first.
        (2, 14, datetime(2026, 12, 2, 14, tzinfo=UTC), datetime(2026, 12, 2, 14, tzinfo=UTC)),
        # Set after Monday's hour: none is due before next Monday.
        (0, 18, datetime(2026, 12, 1, 9, tzinfo=UTC), None),
    ],
)
def test_the_recap_due_is_the_latest_chosen_hour_since_it_was_set(
    day: int, hour: int, since: datetime | None, due: datetime | None
) -> None:
    assert due_at(RecapFilters(day=day, hour=hour, since=since), WEDNESDAY_1430) == due
