"""``kpispec lsp``: a language server (stdio) for any editor (contract section 12).

pygls and lsprotocol are an optional dependency (``pip install 'kpispec[lsp]'``): this
module imports them only when the server starts, so the rest of kpispec never needs
them, and ``kpispec lsp`` without them says how to install them (exit 2, one line).
The model of the catalog (:mod:`kpispec.lsp.engine`) and the reading of the text
(:mod:`kpispec.lsp.text`) do not use pygls; :mod:`kpispec.lsp.server` is the protocol.
"""

from __future__ import annotations

import sys
from typing import Any

INSTALL = (  # kpispec is not on PyPI yet: its lsp extra is installed from a clone or git
    "kpispec lsp needs pygls 2 and lsprotocol: pip install 'pygls>=2,<3' lsprotocol "
    "(or install kpispec with its lsp extra: pip install '.[lsp]' in a clone)"
)


def missing() -> str | None:
    """Why the server cannot start here (pygls missing or too old), or None."""
    try:
        import lsprotocol  # noqa: F401
        from pygls.lsp.server import LanguageServer  # noqa: F401  (pygls 2's layout)
    except ImportError:
        return INSTALL
    return None


def main(debounce_ms: int | None = None) -> int:
    """Serve on stdin/stdout until the client says exit; 2 when pygls is missing."""
    problem = missing()
    if problem is not None:
        print(f"kpispec: {problem}", file=sys.stderr)
        return 2
    return serve(debounce_ms)


def create_server(debounce_ms: int | None = None) -> Any:
    """The server with every feature registered (the protocol in :mod:`server`, the
    answers in :mod:`features`)."""
    from kpispec.lsp import features
    from kpispec.lsp.server import KpispecServer, guarded

    server = KpispecServer(debounce_ms)
    features.register(server, guarded)
    return server


def serve(debounce_ms: int | None = None) -> int:
    import os

    server = create_server(debounce_ms)
    server.start_io()
    if sys.stdout is None or sys.stdout.closed:  # pygls closed it on exit: the CLI flushes
        sys.stdout = open(os.devnull, "w")
    return server.exit_code
