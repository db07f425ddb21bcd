"""The bot's logic that is not Discord: feeds, ledgers, trackers, telemetry."""
