from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Fictional data for trials and the benchmark: `manage.py seed_demo [--cases N]`."""

    name = "demo"
    verbose_name = "Demo data"
