"""Jiandu's domain: BPMN execution, persistence, organisation, assignment, timers and audit.

Nothing in this package imports Flask: the CLI, the worker, the web app and the tests all call the same
service functions.
"""
