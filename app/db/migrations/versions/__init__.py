"""Revisions, oldest first. Each is written by hand and frozen: never import app models here."""
