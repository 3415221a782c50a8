"""YAML that kpispec writes (``import csv``, ``import dbt``, ``init``): the one emitter,
and the check that what is written reads back."""

from __future__ import annotations


def verify_yaml(data: bytes) -> None:
    """``verify`` for :func:`kpispec.safefile.write_atomic`: ValueError when the bytes are
    not YAML kpispec reads (KS001, or a key given twice, KS003)."""
    from kpispec.load.loader import LoadedFile
    from kpispec.load.parse import load_text

    loaded = load_text(data.decode("utf-8-sig"), LoadedFile())
    bad = next((p for p in loaded.problems if p.code in ("KS001", "KS003")), None)
    if bad is not None:
        raise ValueError(f"line {bad.line}: {bad.message}")
    if not loaded.ok:
        raise ValueError("not YAML kpispec reads")
