"""The `hotline` command: start the service or its parts, migrate, and operate cases."""
