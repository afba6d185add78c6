"""Answers to free-text questions about the rules R1–R13, found in the rule files."""
