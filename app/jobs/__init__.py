"""The durable job queue every feature hands work to."""
