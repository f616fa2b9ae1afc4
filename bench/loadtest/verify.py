"""After a load run: every write the load test recorded (LOADTEST_WRITES_FILE) is in the
database. Run inside Django (run.py does: ``manage.py shell -c``); prints one JSON object.

- a note: the case has a note with exactly the marker's text (decrypted, so compared here);
- an intake: the case exists and its person has the marker as given name;
- a background PDF: its job exists (finished or still waiting for the worker), never lost.
  A small case file downloads at once and leaves no row: its access entry is what remains.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path


def verify(path: str) -> dict[str, object]:
    from cases.models import Case, ExportJob, Note, Victim

    writes = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for write in writes:
        by_kind[write["kind"]].append(write)
    missing: list[dict] = []

    notes = by_kind["note"]
    stored: dict[str, set[str]] = defaultdict(set)
    for note in Note.objects.filter(case_id__in={w["case"] for w in notes}).only("case_id", "body"):
        stored[str(note.case_id)].add(note.body)
    missing += [w for w in notes if w["marker"] not in stored[w["case"]]]

    intakes = by_kind["intake"]
    names = {
        str(v.case_id): v.given_name
        for v in Victim.objects.filter(case_id__in={w["case"] for w in intakes if w["case"]})
    }
    missing += [w for w in intakes if names.get(w["case"]) != w["marker"]]

    exports = by_kind["export"]
    jobs = {
        str(pk)
        for pk in ExportJob.objects.filter(
            pk__in=[w["job"] for w in exports if w["job"]]
        ).values_list("pk", flat=True)
    }
    cases = {
        str(pk)
        for pk in Case.objects.filter(pk__in={w["case"] for w in exports}).values_list(
            "pk", flat=True
        )
    }
    missing += [w for w in exports if (w["job"] and w["job"] not in jobs) or w["case"] not in cases]

    return {
        "writes": len(writes),
        "by_kind": {kind: len(items) for kind, items in sorted(by_kind.items())},
        "missing": missing[:20],
        "missing_count": len(missing),
        "ok": not missing,
    }


def main(path: str) -> None:
    print(json.dumps(verify(path)))
