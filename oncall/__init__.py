"""oncall: on-call rotations kept as TOML files, checked, exported and paged."""

__version__ = "0.1.0"
