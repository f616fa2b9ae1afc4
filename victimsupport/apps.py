from django.apps import AppConfig


class VictimSupportConfig(AppConfig):
    """The project core: management commands that span every app (seed_demo, rotate_keys)."""

    name = "victimsupport"
    verbose_name = "Core"

    def ready(self) -> None:
        from victimsupport import checks  # noqa: F401 - registers the deployment checks
        from victimsupport.files import configure_pillow

        # Before any request: no image anywhere in the process is decoded past the pixel budget.
        configure_pillow()
