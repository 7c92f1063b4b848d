"""Figure builders: aggregated run data in, ``plotly.graph_objects.Figure`` out.

Pure functions, one module per page: :mod:`.portfolio`, :mod:`.collections`,
:mod:`.abs`, :mod:`.compare` and :mod:`.story`, on the building blocks of
:mod:`.common`. None reads files or holds state, so each is tested on its own.
"""
