"""What the SMS and voice channels share about Twilio: request signatures and the REST client."""
