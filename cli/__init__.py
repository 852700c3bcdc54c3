"""The ``aigov`` command line: thin callers of the same service functions the app uses."""
