"""How each feature's answers look in Discord: embeds built from domain models."""
