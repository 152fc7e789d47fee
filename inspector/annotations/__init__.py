"""Notes people attach to tags, IOVs and plot links, with who may write them.

Notes live in the application's own database (:mod:`.store`), never in a
conditions database, which stays read-only.  :mod:`.model` checks what a
note may contain, :mod:`.auth` recognises writers, :mod:`.settings` reads
the ``[annotations]`` and ``[auth]`` tables of the configuration.
"""

from inspector.annotations.auth import Authenticator, Forbidden, Identity, Unauthorized
from inspector.annotations.model import (
    MAX_TEXT,
    Annotation,
    NewAnnotation,
    Target,
    check_plot_link,
    check_text,
)
from inspector.annotations.settings import AnnotationsConfig, AuthConfig
from inspector.annotations.store import AnnotationFilter, AnnotationStore

__all__ = [
    "MAX_TEXT",
    "Annotation",
    "AnnotationFilter",
    "AnnotationStore",
    "AnnotationsConfig",
    "AuthConfig",
    "Authenticator",
    "Forbidden",
    "Identity",
    "NewAnnotation",
    "Target",
    "Unauthorized",
    "check_plot_link",
    "check_text",
]
