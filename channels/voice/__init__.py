"""The voice channel: a Twilio IVR on the hotline's number, speech over Media Streams to Vosk,
recording as the fallback, and the callback survey call (see docs/voice.md)."""
