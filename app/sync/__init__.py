"""Bulk sync: roster sync runs (plan, confirm, apply) and the roster pulled over HTTP."""
