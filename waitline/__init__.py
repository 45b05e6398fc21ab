"""Waitline: a self-hosted waitlist and referral platform."""
