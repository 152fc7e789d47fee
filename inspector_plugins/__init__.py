"""Built-in drawers of Payload Inspector, installed as ``inspector_plugins``.

They register through the ``payload_inspector`` entry-point group exactly like
a third-party plugin package; the core has no special path for them.
"""
