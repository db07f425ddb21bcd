"""Process plumbing shared by every feature: background jobs and telemetry (and in time logging, health)."""
