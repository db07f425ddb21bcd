"""The configuration contract: config.example.toml documents every key with its default."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, ConfigError, config_path, load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("HALOBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)


def keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    return {
        path
        for name, value in tree.items()
        for path in (keys(value, f"{prefix}{name}.") if isinstance(value, dict) else {f"{prefix}{name}"})
    }


def test_example_documents_every_key_with_its_default() -> None:
    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    defaults = Config().model_dump(mode="json")
    defaults["discord"]["token"] = defaults["speedrun"]["api_key"] = ""  # SecretStr dumps masked

    assert keys(example) == keys(defaults)
    assert Config(**example).model_dump(mode="json") == Config().model_dump(mode="json")
    assert example["discord"]["token"] == example["speedrun"]["api_key"] == ""


def test_readme_documents_every_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert [key for key in sorted(keys(Config().model_dump())) if f"`{key}`" not in readme] == []


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[discord]\ntoken = "from-file"\n[haloruns]\napi = "legacy"\ncache_seconds = 5\n')
    monkeypatch.setenv("HALOBOT_HALORUNS__CACHE_SECONDS", "0")
    monkeypatch.setenv("HALOBOT_DISCORD__COMMAND_GUILD_IDS", "[123, 456]")
    monkeypatch.setenv("DISCORD_TOKEN", "from-env")

    config = load_config(path)

    assert config.haloruns.api == "legacy"
    assert config.haloruns.cache_seconds == 0
    assert config.discord.command_guild_ids == [123, 456]
    assert config.discord.token.get_secret_value() == "from-env"
    assert "from-env" not in repr(config)


def test_specific_token_variable_wins_over_discord_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "generic")
    monkeypatch.setenv("HALOBOT_DISCORD__TOKEN", "specific")

    assert load_config(tmp_path / "missing.toml").discord.token.get_secret_value() == "specific"


def test_base_urls_lose_their_trailing_slash() -> None:
    config = Config(
        haloruns={"base_url": "http://127.0.0.1:9000/"}, discord={"api_base": "http://x/api/v10/"}
    )

    assert config.haloruns.base_url == "http://127.0.0.1:9000"
    assert config.discord.api_base == "http://x/api/v10"


def test_config_path_precedence() -> None:
    assert config_path(None, {}) == (Path("config.toml"), None)
    assert config_path(None, {"HALOBOT_CONFIG": "env.toml"}) == (Path("env.toml"), "HALOBOT_CONFIG")
    assert config_path("cli.toml", {"HALOBOT_CONFIG": "env.toml"}) == (Path("cli.toml"), "--config")


def test_a_whole_section_from_the_environment_is_overridden_key_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text('[health]\nhost = "0.0.0.0"\nport = 9000\n')
    monkeypatch.setenv("halobot_health", '{"port": 7000}')  # names are not case-sensitive
    monkeypatch.setenv("HALOBOT_HEALTH__PORT", "7001")

    config = load_config(tmp_path / "config.toml")

    assert (config.health.host, config.health.port) == ("0.0.0.0", 7001)
    assert Config().health.port == 8080  # a Config made in code reads no environment


def test_a_misspelt_key_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HALOBOT_HEALTH__PROT", "7000")

    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "missing.toml")

    assert raised.value.problems == ["health.prot: unknown key"]
