"""The fifteen taxonomy terms of the process document (R19), with its definitions."""

from __future__ import annotations

from typing import Any

TERMS = [
    (
        "COMMUNICATION_FAILURE",
        "Occurs when it was an expected behavior, but it was not specified in the documentation, "
        "or there were insufficient instructions to perform the task correctly.",
    ),
    (
        "DATA_QUALITY",
        "Refers to a situation in which the data used within a process is deemed inadequate or "
        "insufficient in accuracy, completeness, or relevancy, potentially leading to erroneous "
        "results or compromised outcomes.",
    ),
    (
        "FAILED_LINTER",
        "Occurs when the linter and its configured rules do not identify a syntax error.",
    ),
    (
        "FAILED_MIGRATION",
        "Denotes an error during a migration process, negatively impacting processes or data "
        "integrity.",
    ),
    (
        "IMPOSSIBLE_TO_TEST",
        "Occurs when the flow or nature of the operation does not allow for testing.",
    ),
    (
        "INCOMPLETE_PERSPECTIVE",
        "Refers to a situation where certain aspects were not considered during the planning or "
        "development of the functionality/process, resulting in failures or unexpected behavior.",
    ),
    (
        "INFRASTRUCTURE_ERROR",
        "Refers to a situation when misconfigurations within the infrastructure as code setup "
        "result in component failures, reduced performance, or even complete service "
        "interruptions.",
    ),
    (
        "LACK_OF_TRACEABILITY",
        "Occurs when insufficient loggers or tools are available to identify the root cause of "
        "the error.",
    ),
    (
        "MISSING_ALERT",
        "Occurs when technologies in the development environment and the continuous "
        "integration do not trigger an alert on the error, allowing it to go unnoticed in "
        "production.",
    ),
    (
        "MISSING_TEST",
        "Refers to the absence of specific tests, which can lead to undetected errors and "
        "result in product failures.",
    ),
    (
        "NO_SPECIFIED",
        "Refers to an error that, regarding its nature, has no reasonable or clear explanation.",
    ),
    (
        "ROTATION_FAILURE",
        "Occurs when failures in the credential rotation process lead to specific components "
        "losing access to third-party services, compromising the operability, performance, or "
        "availability of our products.",
    ),
    (
        "THIRD_PARTY_CHANGE",
        "Refers to a situation wherein a third-party service or technology provider implements "
        "alterations in their infrastructure, potentially resulting in operational disruptions "
        "or unanticipated behaviors for their end-users.",
    ),
    (
        "THIRD_PARTY_ERROR",
        "Refers to a disruption caused by the failure or downtime of a third-party service "
        "provider, leading to unavailability or reduced functionality.",
    ),
    (
        "UNHANDLED_EXCEPTION",
        "Occurs when an exception happens without an associated error-handling mechanism.",
    ),
]


def ensure_taxonomy_terms(term_model: Any = None, using: str = "default") -> None:
    """Add the document's terms that are missing (idempotent; never changes an administrator's
    edits). The data migration runs it; tests that flush the database call it again."""
    if term_model is None:
        from statusdesk.postmortems.models import TaxonomyTerm

        term_model = TaxonomyTerm
    for name, definition in TERMS:
        term_model.objects.using(using).get_or_create(
            name=name, defaults={"definition": definition}
        )
