"""Contracts shared by every layer: errors, vocabularies, limits and the processed-table schemas."""
