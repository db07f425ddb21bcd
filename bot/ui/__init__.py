"""The Discord toolkit the cogs share: the command tree and its error handler, replies within
Discord's limits, pages, autocomplete helpers, and posting to many servers."""
