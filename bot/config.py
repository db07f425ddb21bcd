"""The configuration contract: one pydantic model per section, validated once at start.

Sources, strongest first: ``HALOBOT_<SECTION>__<KEY>`` environment variables, ``DISCORD_TOKEN``,
the TOML file, the defaults below (read by ``load_config``; a ``Config`` made in code reads no
environment). ``config.example.toml`` documents every key.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

DEFAULT_CONFIG_PATH = Path("config.toml")
CONFIG_PATH_ENV = "HALOBOT_CONFIG"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


class ConfigError(Exception):
    """The configuration is unusable; ``problems`` holds one ``section.key: what is wrong`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _url_checker(schemes: tuple[str, ...], *, strip_slash: bool) -> AfterValidator:
    def check(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValueError(f"must be an absolute {' or '.join(s + '://' for s in schemes)} URL")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.rstrip("/") if strip_slash else value

    return AfterValidator(check)


# Base URLs are stored without a trailing slash; the documented paths are appended to them.
HttpBaseUrl = Annotated[str, _url_checker(("https", "http"), strip_slash=True)]
GatewayUrl = Annotated[str, _url_checker(("wss", "ws"), strip_slash=False)]
HttpsBaseUrl = Annotated[str, _url_checker(("https",), strip_slash=True)]  # MSAL accepts only https
Snowflake = Annotated[int, Field(gt=0)]
PollSeconds = Annotated[int, Field(ge=1)]


def database_backend(url: str) -> DatabaseBackend:
    """The database ``database.url`` names, by its scheme; a ``ValueError`` for a scheme of none."""
    scheme = url.partition("://")[0]
    if scheme not in DATABASE_DRIVERS:
        raise ValueError(f"scheme must be one of {', '.join(DATABASE_DRIVERS)}")
    return DATABASE_DRIVERS[scheme]


def _check_database_url(value: str) -> str:
    database_backend(value)
    return value


DatabaseBackend = Literal["sqlite", "postgresql"]
# database.url's schemes (as SQLAlchemy spells them), and the database each names.
DATABASE_DRIVERS: dict[str, DatabaseBackend] = {
    "sqlite+aiosqlite": "sqlite",
    "postgresql+asyncpg": "postgresql",
}
DatabaseUrl = Annotated[str, AfterValidator(_check_database_url)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscordConfig(_Section):
    token: SecretStr = SecretStr("")
    api_base: HttpBaseUrl = "https://discord.com/api/v10"
    gateway_url: GatewayUrl = DISCORD_GATEWAY
    command_guild_ids: list[Snowflake] = []
    owner_ids: list[Snowflake] = []
    # discord.py's guild_ready_timeout: at connect, ready this long after the last server arrived.
    guild_ready_seconds: Annotated[float, Field(gt=0, le=60)] = 2.0
    connect_timeout_seconds: Annotated[float, Field(gt=0)] = 30
    # 0: as many shards as Discord recommends (GET /gateway/bot); a guild is on shard (id >> 22) % count.
    shard_count: Annotated[int, Field(ge=0)] = 0
    # The shards this process runs ([]: every shard of shard_count).
    shard_ids: list[Annotated[int, Field(ge=0)]] = []

    @field_validator("shard_ids")
    @classmethod
    def _shards_of_the_count(cls, shard_ids: list[int], info: ValidationInfo) -> list[int]:
        count = info.data.get("shard_count")
        if not shard_ids or count is None:  # none named, or the count is wrong itself
            return shard_ids
        if count == 0:
            raise ValueError("needs a positive discord.shard_count (the shards of all processes together)")
        if len(set(shard_ids)) != len(shard_ids):
            raise ValueError("lists a shard twice")
        if max(shard_ids) >= count:
            raise ValueError(f"must be below discord.shard_count ({count})")
        return shard_ids

    def processes(self) -> float:
        """How many processes share the bot, as this one's part of the shards says (1 unless
        ``shard_ids`` names some)."""
        return self.shard_count / len(self.shard_ids) if self.shard_ids else 1.0


class DatabaseConfig(_Section):
    url: DatabaseUrl = "sqlite+aiosqlite:///data/halobot.db"
    # On PostgreSQL, how often a process that is not the poller tries to become it.
    poller_retry_seconds: Annotated[float, Field(gt=0, le=20)] = 10


class HaloRunsConfig(_Section):
    api: Literal["content", "legacy"] = "content"
    base_url: HttpBaseUrl = "https://api.haloruns.com"  # where the feeds (and the legacy API) are read
    site_url: HttpBaseUrl = "https://haloruns.com"  # the website: the links shown to users
    records_poll_seconds: PollSeconds = 60
    streams_poll_seconds: PollSeconds = 300
    cache_seconds: Annotated[int, Field(ge=0)] = 60
    stream_rejoin_minutes: Annotated[int, Field(ge=0)] = 10
    stream_edit_minutes: Annotated[int, Field(ge=0)] = 3


class SpeedrunConfig(_Section):
    base_url: HttpBaseUrl = "https://www.speedrun.com/api/v1"
    api_key: SecretStr = SecretStr("")
    games: list[str] = []
    poll_seconds: PollSeconds = 120
    requests_per_minute: Annotated[int, Field(ge=2)] = 100
    key_secret: SecretStr = SecretStr("")
    key_secret_file: Path = Path("data/secret.key")
    submit_form_minutes: Annotated[float, Field(gt=0, le=15)] = 15


class InfiniteConfig(_Section):
    enabled: bool = False
    client_id: str = ""
    authority: HttpsBaseUrl = "https://login.microsoftonline.com/consumers"
    token_cache: Path = Path("data/msal_cache.json")
    user_auth_url: HttpBaseUrl = "https://user.auth.xboxlive.com"
    xsts_url: HttpBaseUrl = "https://xsts.auth.xboxlive.com"
    settings_url: HttpBaseUrl = "https://settings.svc.halowaypoint.com"
    profile_url: HttpBaseUrl = "https://profile.svc.halowaypoint.com"
    stats_url: HttpBaseUrl = "https://halostats.svc.halowaypoint.com"
    skill_url: HttpBaseUrl = "https://skill.svc.halowaypoint.com"
    gamecms_url: HttpBaseUrl = "https://gamecms-hacs.svc.halowaypoint.com"
    discovery_url: HttpBaseUrl = "https://discovery-infiniteugc.svc.halowaypoint.com"


class HealthConfig(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(_Section):
    discord: DiscordConfig = DiscordConfig()
    database: DatabaseConfig = DatabaseConfig()
    haloruns: HaloRunsConfig = HaloRunsConfig()
    speedrun: SpeedrunConfig = SpeedrunConfig()
    infinite: InfiniteConfig = InfiniteConfig()
    health: HealthConfig = HealthConfig()
    logging: LoggingConfig = LoggingConfig()

    def secrets(self) -> list[str]:
        """Every secret value set in this configuration, for log redaction."""
        values = [self.discord.token, self.speedrun.api_key]
        return [secret.get_secret_value() for secret in values if secret.get_secret_value()]


class ConfigFile(NamedTuple):
    """Where the configuration is read from, and what named it (None: the default path)."""

    path: Path
    named_by: str | None


def config_path(cli_value: str | None, environ: Mapping[str, str] = os.environ) -> ConfigFile:
    """``--config PATH``, else ``HALOBOT_CONFIG``, else ``./config.toml``."""
    if cli_value:
        return ConfigFile(Path(cli_value), "--config")
    if environ.get(CONFIG_PATH_ENV):
        return ConfigFile(Path(environ[CONFIG_PATH_ENV]), CONFIG_PATH_ENV)
    return ConfigFile(DEFAULT_CONFIG_PATH, None)


def load_config(path: Path, *, named_by: str | None = None) -> Config:
    """Read ``path`` and validate everything. A missing file means defaults plus environment,
    unless it was named (``named_by``: ``--config`` or ``HALOBOT_CONFIG``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if named_by:
            hint = "name an existing file, or copy config.example.toml there"
            raise ConfigError([f"{path}: no such file (named by {named_by}); {hint}"]) from None
        data = {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{path}: cannot read: {error}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{path}: not valid TOML: {error}"]) from None
    try:
        return Config.model_validate(_merged(data, environment_values(os.environ)))
    except ValidationError as error:
        raise ConfigError([_describe(problem) for problem in error.errors()]) from None


def _describe(problem: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
    message = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
    return f"{key}: {message.removeprefix('Value error, ')}"


def environment_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The configuration the environment sets: ``HALOBOT_<SECTION>__<KEY>`` (a list key as JSON),
    ``HALOBOT_<SECTION>`` (the section as a JSON object), and ``DISCORD_TOKEN`` (weaker than
    ``HALOBOT_DISCORD__TOKEN``). Names are not case-sensitive; variables that name no section are
    not configuration (``HALOBOT_CONFIG`` names the file). Raises ``ConfigError`` for each value
    that must be JSON and is not."""
    values: dict[str, Any] = (
        {"discord": {"token": environ["DISCORD_TOKEN"]}} if environ.get("DISCORD_TOKEN") else {}
    )
    problems = []
    variables = []  # (section, key, name, value) of each variable that names a section
    for name, value in environ.items():
        section, _, key = name.upper().removeprefix(ENV_PREFIX).lower().partition("__")
        if name.upper().startswith(ENV_PREFIX) and section in SECTIONS:
            variables.append((section, key, name.upper(), value))
    # Section by section, a whole section first, then its keys over it.
    for section, key, name, value in sorted(variables, key=lambda v: (list(SECTIONS).index(v[0]), v[1])):
        model = SECTIONS[section]
        try:
            values = _merged(values, {section: _section_values(model, key, name, value)})
        except ValueError as problem:
            problems.append(f"{section}{'.' + key if key else ''}: {problem}")
    if problems:
        raise ConfigError(problems)
    return values


ENV_PREFIX = "HALOBOT_"
SECTIONS: dict[str, type[BaseModel]] = {
    name: field.annotation
    for name, field in Config.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
}


def _section_values(model: type[BaseModel], key: str, name: str, value: str) -> Any:
    """What the variable ``name`` sets in a section of ``model``: the whole section (no ``key``),
    a list key or a key."""
    if not key:
        return _json(value, dict, f"{name} must be a JSON object of its keys (or set {name}__<KEY> instead)")
    field = model.model_fields.get(key)
    if field is not None and get_origin(field.annotation) is list:
        example = '["halo3", "hr"]' if get_args(field.annotation)[0] is str else "[1, 2]"
        return {key: _json(value, list, f"{name} must be a JSON list, e.g. {example}")}
    return {key: value}


def _json(value: str, kind: type[Any], problem: str) -> Any:
    """``value`` read as JSON of ``kind``; ``ValueError(problem)`` if it is not that."""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, kind):
        raise ValueError(problem)
    return parsed


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on it, sections key by key."""
    merged = dict(base)
    for name, value in over.items():
        below = merged.get(name)
        merged[name] = _merged(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged
