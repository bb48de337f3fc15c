"""Channel adapters: platform payload → ``Incoming``; ``Reply`` → platform call. No business logic."""
