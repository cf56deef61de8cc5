"""``python -m app`` is the ``misena`` command, for environments without the console script."""

from app.cli.main import main

main()
