"""Offline speech-to-text with Vosk for the voice channel (issue 4: not built yet)."""
