"""Shipped data tables (CSV): actors, the SSB 2024 municipalities, and the generator of the synthetic set."""
