"""Google's rate limits as one budget shared by every process, through the database."""
