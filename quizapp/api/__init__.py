"""The JSON API under /api: the same services as the pages, JSON errors only.

One module per area (review.py, submissions.py), each with its own blueprint; every operation is described
in openapi.yaml (served by spec.py at /api/openapi.json), against which validation.py checks each request.
"""
