"""The rules (R1–R13) as plain Python: policy, lifecycle, dates, consent, records, answers.

Imports nothing of ours and no SDK, web or database library.
"""
