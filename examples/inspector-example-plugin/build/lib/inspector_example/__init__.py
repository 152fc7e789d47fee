"""Example Payload Inspector plugin package."""
