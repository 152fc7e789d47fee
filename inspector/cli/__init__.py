"""Command-line edge of Payload Inspector (``inspector``)."""
