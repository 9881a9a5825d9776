import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statusdesk.settings")

django_application = get_asgi_application()

# After Django is set up: the public answers made from the snapshot, served from memory in front
# of Django once Django has made them (statusdesk/statuspage/fastpath.py).
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from statusdesk.core.request_record import RequestRecord  # noqa: E402
from statusdesk.desk.routing import websocket_urlpatterns  # noqa: E402
from statusdesk.statuspage.fastpath import SnapshotFastPath  # noqa: E402

# HTTP goes through the request record (its id, latency figure and log line; outermost, so that
# the answers from memory count too), then the fast path; websockets (the desk's live threads) go
# to Channels, with the session's user and only from the allowed hosts' pages.
application = ProtocolTypeRouter(
    {
        "http": RequestRecord(SnapshotFastPath(django_application)),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Everything loaded so far (Django, the apps, their modules) lives as long as the process: out of
# the collector's sight, a full collection no longer walks it. Measured under 256 connections,
# those walks were the public answers' slowest percent (p99 from ~600 ms to tens of ms).
gc.collect()
gc.freeze()
