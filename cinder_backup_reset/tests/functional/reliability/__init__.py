"""Reliability and security tests: load, faults, hostile input, RBAC.

See doc/source/admin/reliability.rst for what each test attacks and the
command that reproduces it.
"""
