"""Small pieces shared by every domain."""
