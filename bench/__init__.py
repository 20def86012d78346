"""Benchmarks: run the real stack end to end and print figures (never pass/fail); see README."""
