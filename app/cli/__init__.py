"""The ``misena`` command: one module per command group, shared rendering and plumbing."""
