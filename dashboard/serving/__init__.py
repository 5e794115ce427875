"""Serving: security headers, request guard, answer cache, background jobs, geometry routes."""
