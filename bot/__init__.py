"""halo-speedrun-bot: a Discord bot for the Halo speedrunning community."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("halo-speedrun-bot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
