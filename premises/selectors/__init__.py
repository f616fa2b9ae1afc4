"""Reads of the premises app, one module a part: sites (and the supervisor's dashboard),
assessments (checklists, findings, actions, incidents), evidence (photos, escape plans,
drills) and safety (the victim-facing page and the sensitive terms).

Each part's ``site_panel(site, user)`` gives what the site's page shows of it."""
