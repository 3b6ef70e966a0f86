"""Reporting on the interaction log: measures, coverage, satisfaction and the Contact insights views.

An app with no models of its own (label ``insights``; the dashboard's permission belongs to the
interactions app).
It sits on top of the layers: it may read the log and every domain app, and nothing below it
imports it (see ``tests/test_architecture.py``).
"""
