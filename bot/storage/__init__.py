"""Database access and migrations."""
