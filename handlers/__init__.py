"""Use cases, one module each. Handlers see ``Turn`` objects, never a platform or SQL."""
