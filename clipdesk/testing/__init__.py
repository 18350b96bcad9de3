"""Helpers for tests, benchmarks and CI (generated photos, models built offline); the app never
imports them."""
