"""One module per ``aigov`` sub-command group; each exposes ``register(subparsers)``."""
