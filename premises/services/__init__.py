"""Writes of the premises app (``<entity>_<verb>``, keyword-only, one transaction, audited),
one module a part: sites, assessments, evidence, safety."""
