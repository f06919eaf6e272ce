"""The SLA domain: pure values and arithmetic, no I/O, no clock reads.

Time always arrives as an argument. Nothing here imports `storage` or `bot`.
"""
