"""The server-rendered console at /console: sign-in, sessions, CSRF, roles, pages."""
