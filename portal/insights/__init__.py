"""Reporting on the interaction log: measures, coverage, satisfaction and the Contact insights views.

Its one model is ``MeasureTarget``, the service managers' targets (label ``insights``; the
dashboard's own permission belongs to the interactions app).
It sits on top of the layers: it may read the log and every domain app, and nothing below it
imports it (see ``tests/test_architecture.py``).
"""
