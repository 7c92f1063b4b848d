"""Dashboard pages.

Each module has ``PATH``, ``TITLE``, ``layout(ctx)`` and ``register(app, ctx)``.
"""
