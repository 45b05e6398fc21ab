"""The hosted pages: a waitlist's signup page and each person's status page."""
