"""Storage: SQLAlchemy Core tables, engines, migrations and the queries the service runs."""
