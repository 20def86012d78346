"""Channel adapters (voice, sms, chat, web) and the `Notifier` port they implement."""
