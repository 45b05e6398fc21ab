"""Who is calling: API keys, access tokens, users and roles."""
