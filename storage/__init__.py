"""Persistence: SQLModel tables, engine set-up, repositories and migrations.

Imports `sla` for domain values; never imports `bot`.
"""
