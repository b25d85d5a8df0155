"""The workplace: each role's dashboard as a work queue (what needs doing, by deadline, since the last visit)."""
