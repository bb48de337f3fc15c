"""Storage: the only place with SQL. Repositories return plain dataclasses."""
