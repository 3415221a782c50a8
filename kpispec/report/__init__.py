"""Reports people read: the report ``model`` (goal tree, scopes, entries, findings) and
one renderer per format (``text`` with json, ``markdown``, ``mermaid``, ``html``)."""
