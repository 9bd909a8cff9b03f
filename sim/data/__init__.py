"""Shipped data tables (CSV) and the deterministic generator of the synthetic municipalities."""
