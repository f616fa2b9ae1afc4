"""Forms of the premises app, one module a part: sites, assessments, evidence, safety."""
