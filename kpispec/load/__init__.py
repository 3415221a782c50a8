"""Load: files on disk (or git blobs) to :class:`~kpispec.load.loader.LoadedFile` objects.

``files`` finds the catalog's files, ``loader``/``yaml_events`` read YAML with the line and
column of every key, ``schema`` checks structure (KS002), ``file`` loads one file through
the content ``cache``, ``pool`` loads many in worker processes.
"""
