"""Shipped geometry data files (no code); read through importlib.resources."""
