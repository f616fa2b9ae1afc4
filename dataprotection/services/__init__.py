"""Writes of the data-protection app, one module a part: requests, copy, delivery,
retention, records. Each service is keyword-only, one transaction, its audit included."""
