"""Google accounts kept in step with people: reconcile, ficha groups, the suspension brake,
the sweep of deadlines, recovery of deleted accounts."""
