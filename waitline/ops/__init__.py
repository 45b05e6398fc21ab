"""Probes and metrics for whoever runs Waitline."""
