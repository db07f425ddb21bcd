"""Where the schemas of the bot's pydantic models are built: when first used, not at import.

A model's schema (its validator and serializer) costs CPU and memory to build; the idle bot uses
few of them, and a feature's first call builds the ones it needs in milliseconds. So every model
of ``bot/models`` defers its build: upstream payloads through ``lenient.Payload``, the bot's own
records (kept in the database, handed between features) through ``Frozen`` here, the dataclasses
pydantic reads and writes (``@with_config(DEFERRED)``) and the ``TypeAdapter`` of a type that has
no config of its own (``TypeAdapter(..., config=DEFERRED)``) through ``DEFERRED``. Only the
configuration (``bot/config.py``), validated at every start, is built at once.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

DEFERRED = ConfigDict(defer_build=True)


class Frozen(BaseModel):
    """A record of the bot's own: immutable, its schema built when first used."""

    model_config = ConfigDict(frozen=True, defer_build=True)
