"""Local stand-ins for the services the bot talks to, served on 127.0.0.1."""
