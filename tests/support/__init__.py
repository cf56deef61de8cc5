"""Helpers the test suites share; no tests here (registered for assertion rewriting in
:mod:`tests`)."""
