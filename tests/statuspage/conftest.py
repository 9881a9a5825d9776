"""What the public-side tests share: the public paths and a JSON reader."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

API_PATHS = [
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
]
PUBLIC_PATHS = [*API_PATHS, "/history.atom", "/history.rss", "/badge.svg"]


def get_json(client: Client, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)
