"""Signals that let feature apps add to a shared step without the step importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `statusdesk seed-demo` once the demo users exist; `users` maps each demo user to the
# name of their role (the desk makes the desk members its standing members).
demo_users_seeded = Signal()
