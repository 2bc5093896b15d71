"""Subcommands for people: `demo`, `doctor`, `config`. The bare command runs the server."""
