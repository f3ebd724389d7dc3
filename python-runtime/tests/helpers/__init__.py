"""Shared builders and fakes for the trainer's tests (no tests here): `from helpers.x import ...`.

pytest puts python-runtime/tests on sys.path (rootdir import mode), so `helpers` is importable from
every test module and from conftest.py; scripts that use a helper insert that folder themselves.
"""
