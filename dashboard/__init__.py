"""The creditsim dashboard: a Dash app over the run store.

Pages read stored runs (portfolio, collections, ABS notes), compare two runs path by
path, re-tell one borrower's story and launch small runs in the background. Figures
are plain functions (aggregated run data in, ``plotly.graph_objects.Figure`` out) in
:mod:`dashboard.figures`; :mod:`dashboard.data` reads and aggregates the store;
:mod:`dashboard.app` only lays out pages and wires callbacks. Start it with
``creditsim dashboard`` or :func:`dashboard.app.create_app`.
"""
