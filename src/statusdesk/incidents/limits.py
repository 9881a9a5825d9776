"""Every limit and default of the incident process, defined once.

Models size their columns with these, services check them (with the rule behind them), forms put
them on their widgets and the API's schemas publish them in OpenAPI, so the four never disagree.
"""

from __future__ import annotations

# Short texts: a report's title, an issue's title, an incident's name.
TITLE_MAX = 200
# Who reported the problem: a name or an e-mail address (RFC 5321 caps an address at 254).
REPORTER_MAX = 254
# An e-mail address (RFC 5321 caps it at 254 characters; Django's EmailField holds as many).
EMAIL_MAX = 254
# Addresses: an external issue, the workaround's documentation (PostgreSQL refuses longer values
# than the column holds).
URL_MAX = 500
# Long texts: descriptions, messages, workarounds, reasons. A status page update is read by people
# in a hurry; 10,000 characters is several pages and still bounds every request.
TEXT_MAX = 10_000
# The largest count an integer column holds everywhere (PostgreSQL `integer`).
USERS_AFFECTED_MAX = 2**31 - 1
# Ids beyond a 64-bit integer name nothing (and SQLite cannot even compare them).
ID_MAX = 2**63 - 1
# R11: the resolution is "a concise two-line message".
RESOLUTION_MAX_LINES = 2
RESOLUTION_LINE_MAX = 280
# R5/R10: long-running incident reminders, every 60 minutes unless the manager chooses otherwise.
DEFAULT_REMINDER_MINUTES = 60
REMINDER_MIN_MINUTES = 5
REMINDER_MAX_MINUTES = 24 * 60
# Components (R6).
COMPONENT_KEY_MAX = 50
COMPONENT_NAME_MAX = 100
COMPONENT_DESCRIPTION_MAX = 1_000
# How many components an update may name at once (there are eight by default).
COMPONENTS_PER_REQUEST_MAX = 100
