from django.apps import AppConfig


class VictimSupportConfig(AppConfig):
    """The project core: management commands on the core alone (rotate_keys, recheck_files)."""

    name = "victimsupport"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.http import multipartparser

        from victimsupport import checks  # noqa: F401 - registers the deployment checks
        from victimsupport.limits import UPLOAD_PART_HEADERS

        # Django answers 400 to a form part whose headers exceed 1 KiB, and every field typed
        # with the file is lost: a file name of a few hundred non-Latin characters is enough.
        # The module constant is Django's own knob for it (ticket #34968; no setting exists).
        multipartparser.MAX_TOTAL_HEADER_SIZE = max(
            multipartparser.MAX_TOTAL_HEADER_SIZE, UPLOAD_PART_HEADERS
        )

        from victimsupport.files import configure_pillow

        # Before any request: no image anywhere in the process is decoded past the pixel budget.
        configure_pillow()
