"""Notifications: the email outbox, per-kind preferences, unsubscribe, reminders and digests."""
