"""Invites: letting people in, one by one or in waves, and the codes they redeem."""
