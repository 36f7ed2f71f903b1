"""Prompt building: meta parsing, templates, chat rendering, truncation. Pure functions."""
