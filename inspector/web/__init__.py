"""Web edge of Payload Inspector: Flask pages, permalinks and the JSON:API."""

from inspector.web.app import create_app

__all__ = ["create_app"]
