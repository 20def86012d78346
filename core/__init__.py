"""Cross-cutting plumbing every part shares: settings, the database engine and the clock."""
