"""`waitline demo`: a workspace with a waitlist that looks lived in."""
