"""Aggregates of run tables: what the figures draw, computed once per run.

Every function here is pure (tables in, small tables out) and vectorised over Monte
Carlo paths: percentiles per month across paths, pooled rates, histograms. The
dashboard never sends one row per path to the browser, only these summaries.
"""
