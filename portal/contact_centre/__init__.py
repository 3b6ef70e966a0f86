"""The contact centre: staff recording and reviewing assisted contacts in the Wagtail admin.

Its one model is the Call (a conversation with a caller); an assisted contact is a row of
the interaction log, whose permissions belong to the interactions app. It sits on top of the
layers: it may read the log and use the domain apps' public ``services``/``selectors``, and
nothing below it imports it (see ``tests/test_architecture.py``).
"""
