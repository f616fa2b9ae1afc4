"""Settings for the servers and workers the fault tests start: the real-server test settings
(a cache every process shares) plus the test-only pauses of tests/faults/hooks.py."""

from tests.server_settings import *  # noqa: F403
from tests.server_settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.faults.hooks.FaultHooksConfig"]
