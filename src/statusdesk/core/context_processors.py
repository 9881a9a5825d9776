from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from statusdesk.core.time import display_zone_name


def statusdesk(request: HttpRequest) -> dict[str, Any]:
    return {"display_zone": display_zone_name()}
