"""One cog per feature: parse the options, call a service, render the reply."""
