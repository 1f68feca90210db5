"""The clinician database: ``tables`` (SQLAlchemy models), ``sessions`` (saving and reading), ``migrations``."""
