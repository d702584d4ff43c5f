"""Imports every command module so its commands register on the app."""

from . import check, read  # noqa: F401
