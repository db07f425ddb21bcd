"""Process plumbing shared by every feature: background jobs, and (in time) logging, health and metrics."""
