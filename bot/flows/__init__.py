"""Orchestration: one function per thing a user or the clock makes happen.

Flows open the transaction, call `sla` for decisions and `storage` for facts, and enqueue
Slack notifications in the same transaction; the courier sends them after commit.
"""
