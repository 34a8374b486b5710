"""Domain-free machinery: bounds, fits, claims, sweeps, results, plots, the CLI.

core imports no family; families import core.
"""
