"""Pydantic models of upstream payloads (frozen, tolerant of extra fields) and domain types."""
