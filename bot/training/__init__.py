"""Training sessions: sign-ups, waiting lists, reminders, officers' tools and the schedule import."""
