"""One client per external service: base URL, timeouts, caching, typed errors."""
