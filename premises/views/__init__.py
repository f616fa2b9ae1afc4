"""Views of the premises app, one module a part: sites (list, page, dashboard), assessments,
evidence (photos, escape plans, drills), safety (the safety page, sensitive terms) and public
(the victim-facing page, no sign-in)."""
