"""Text or bytes to a :class:`~kpispec.load.loader.LoadedFile`: the parse itself (the
YAML parser is imported on the first parse, so a run served from the cache never pays
for it)."""

from __future__ import annotations

from kpispec.load.loader import LoadedFile, ProblemList, read_text


def load_bytes(raw: bytes) -> LoadedFile:
    result = LoadedFile()
    text = read_text(raw, result)
    if text is None:
        return result
    return load_text(text, result)


def load_text(text: str, result: LoadedFile | None = None) -> LoadedFile:
    result = result or LoadedFile()
    result.text = text
    result.problems = ProblemList(result.problems)
    # here: a run served wholly from the cache never imports ruamel
    from kpispec.load.yaml_events import load_into

    try:
        load_into(text, result)
    finally:
        result.problems = result.problems.close()
    return result
