"""Pledged vs. deployed: sourced figures on Haiti's security mission and displacement."""
