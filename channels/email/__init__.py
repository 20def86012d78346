"""The e-mail channel (SMTP): notices, survey links and one-time codes to a citizen's e-mail."""
