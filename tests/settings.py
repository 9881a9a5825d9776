"""The test settings: statusdesk's own, plus a second app that records its own events."""

import os

from statusdesk.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.noticeboard"]  # noqa: F405

# Real hashing, but a cheap one, in the test process and in the processes the tests start (such as
# `statusdesk seed-demo`): the default hasher costs about 0.3 s a user.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# In the test process, queued work runs at once, in memory, after its transaction commits. The
# tests of the worker itself start real processes with STATUSDESK_TEST_QUEUE=real, which keeps the
# real queue (SQLite under the var dir, or Redis).
if os.environ.get("STATUSDESK_TEST_QUEUE") != "real":
    HUEY = {**HUEY, "immediate": True}  # noqa: F405
    # The snapshot's cache is this process's own (each test starts with it empty).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
