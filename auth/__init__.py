"""Staff authentication and roles: password hashes, signed tokens, login throttling, permissions."""
