"""Demo data for a first start: ``aigov demo``."""
