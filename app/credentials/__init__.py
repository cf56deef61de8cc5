"""First-login credentials: temporary passwords, the courier that emails them, the sender pool."""
