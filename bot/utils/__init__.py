"""Helpers every layer uses: text for Discord, run times, gamertags and the one "did you mean" matcher."""
