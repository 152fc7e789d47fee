"""The Python API for notebooks: :func:`open` a database, browse, decode, plot.

See docs/python-api.md.  A thin edge, like the web layer and the CLI, over
the one engine; plots display themselves in Jupyter through the Bokeh
renderers (:mod:`inspector.notebook.display`).
"""

from inspector.notebook.session import Session, TagList, open

__all__ = ["Session", "TagList", "open"]
