"""Process plumbing shared by every feature: background jobs, telemetry, health and metrics,
logging, command sync and the Discord endpoint overrides."""
