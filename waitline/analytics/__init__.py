"""Aggregates over a waitlist's entries and the daily timeline, computed in SQL."""
