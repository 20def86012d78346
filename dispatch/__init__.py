"""Smart dispatch: where a request is and which unit should take it."""
