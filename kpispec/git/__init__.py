"""Git: the catalog at a revision and what a change does to it.

``reader`` runs git (batch processes, NUL-separated output), ``revision`` builds the
catalog and config at a revision, ``gate`` is the commit gate (``lint --staged``),
``diff`` and ``history`` compare revisions (``*_output`` render them).
"""
