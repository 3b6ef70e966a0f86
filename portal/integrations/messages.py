"""The integrations' messages (registered with the outbox): filled in by the deliveries work."""
