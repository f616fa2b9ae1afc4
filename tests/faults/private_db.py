"""Run inside the private PostgreSQL's Django (``python -m tests.faults.private_db ...``, with
DJANGO_SETTINGS_MODULE and DATABASE_URL set): the test process's own Django is bound to the
test database, so what the fault tests make or read there goes through this.

    seed            a team, a caseworker and one case: prints {"email", "password", "case"}
    notes CASE      the bodies of the case's notes, decrypted, one JSON list
    export CASE     asks for the case-file PDF as the caseworker: prints the job's id
    job ID          the job's status, failure and whether it has a PDF
"""

from __future__ import annotations

import json
import sys

import django


def main(argv: list[str]) -> None:
    django.setup()
    from django.core.management import call_command

    from cases.models import Case, ExportJob, Note
    from tests import factories

    command, *args = argv
    if command == "seed":
        call_command("createcachetable", verbosity=0)
        team = factories.make_team("North")
        cara = factories.caseworker(team)
        case = factories.make_full_case(cara, given_name="Mira", family_name="Okafor")
        print(
            json.dumps({"email": cara.email, "password": factories.PASSWORD, "case": str(case.pk)})
        )
    elif command == "notes":
        case = Case.objects.get(pk=args[0])
        print(json.dumps([n.body for n in Note.objects.filter(case=case)]))
    elif command == "export":
        from cases.exports import request_export

        case = Case.objects.get(pk=args[0])
        print(request_export(case=case, user=case.assigned_to).pk)
    elif command == "job":
        job = ExportJob.objects.get(pk=args[0])
        print(
            json.dumps(
                {"status": job.status, "failure": job.failure, "has_pdf": job.pdf is not None}
            )
        )
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
