"""Entries: joining, the line and positions, referrals, status and confirmation."""
