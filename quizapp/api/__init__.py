"""The JSON API under /api: the same services as the pages, JSON errors only.

One module per area (review.py, submissions.py), each with its own blueprint.
"""
