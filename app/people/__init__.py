"""People as Sofia Plus describes them: webhook intake, identity index, merges, queries."""
