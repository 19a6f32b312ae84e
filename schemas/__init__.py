"""marshmallow schemas: what the API accepts, what it returns, and the CSV column order."""
