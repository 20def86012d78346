"""The SMS channel (Twilio): inbound texts to cases, status and survey replies; outbound notices."""
