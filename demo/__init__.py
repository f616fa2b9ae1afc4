"""Demo and bulk seeding, outside the confidentiality core: the only place that puts every
app's fictional data together (``seed.seed_demo`` for a trial, ``bulk.seed_cases`` for scale)."""
