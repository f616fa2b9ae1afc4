"""Load test and scale-out checks: `make loadtest`, `make scaleout` (see README)."""
