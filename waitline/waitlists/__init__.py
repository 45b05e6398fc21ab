"""Waitlists, their settings and their copy variants."""
