"""Demo mode: the whole service on one machine against the local Google emulator."""
