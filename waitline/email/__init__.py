"""Email: templates, rendering and transport."""
