"""The embeddable signup widget: one script tag on any site."""
