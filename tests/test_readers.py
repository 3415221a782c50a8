"""The one reader (kpispec.safefile.read_input, contract section 16): every input a user
names is looked at before it is read -- a FIFO, a device, a socket or a folder where a
file is expected is refused unopened, one line and exit 2 -- each kind has a size cap
checked before it is read whole, named in the message, and JSON and TOML nesting is
bounded before a parser sees it (issue 23). Each case runs the real CLI in a fresh
process, bounded in time, its peak memory read from wait4 (tests/test_hostile.py)."""

from __future__ import annotations

import json
import os
import random
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest
from conftest import REPO, write
from test_hostile import ROOT_USER, Run, run_measured

from kpispec import safefile
from kpispec.safefile import LIMITS, TooDeep, check_json, check_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SMALL_MB = 120  # a refused input costs what a run costs: nothing of it is read
KPI = "kpispec: 1\nmetrics:\n  - id: m\n    name: M\n    owner: '@org/finance'\n"
SECRET = "ghp_SECRETTOKEN123"
NETRC = f"machine api.example.com\n  login alice\n  password {SECRET}\n"


def project(tmp_path: Path, config: str | None = None) -> Path:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    write(root / "kpis" / "a.yaml", KPI)
    if config is not None:
        write(root / "kpispec.toml", config)
    return root


def refused(run: Run, *parts: str) -> str:
    """Exit 2, one line holding every part, no traceback, in time and in little memory."""
    assert not run.timed_out, "still running: it waited on the input"
    assert run.returncode == 2, (run.returncode, run.stdout[:500], run.stderr[:500])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr[:2000]
    assert "internal error" not in lines[0], lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert run.rss_mb < SMALL_MB, f"peak memory {run.rss_mb:.0f} MB"
    return lines[0]


class FifoWriter:
    """A writer waiting to open ``path`` (a FIFO): its open returns only once a reader
    opens the FIFO. Still waiting after the run: kpispec never opened it."""

    def __init__(self, path: Path):
        self.path = path
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # blocks until a reader comes
        self.opened.set()
        os.close(fd)

    def never_opened(self) -> bool:
        waiting = not self.opened.is_set()
        reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # release the writer
        self.thread.join(5)
        os.close(reader)
        return waiting and not self.thread.is_alive()


def make_device(path: Path) -> None:
    """A character device like /dev/zero at ``path`` (root only)."""
    if not ROOT_USER:
        pytest.skip("os.mknod of a character device needs root")
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))


def make_socket(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    return server


# --- what is not a file: refused without being opened -------------------------------------


@pytest.mark.slow  # a real FIFO given as every input, each a process
def test_a_fifo_is_refused_unopened_as_every_input(tmp_path):
    root = project(tmp_path, '[policy]\nowners-file = "owners.fifo"\n')
    os.mkfifo(root / "owners.fifo")
    os.mkfifo(root / "baseline.json")
    os.mkfifo(root / "in.csv")
    os.mkfifo(root / "other.toml")
    cases = [
        (["lint"], root / "owners.fifo", ("'policy.owners-file'", "owners file", "is a FIFO")),
        (["lint", "--no-config", "--baseline", "baseline.json"], root / "baseline.json", ()),
        (["import", "csv", "in.csv"], root / "in.csv", ("CSV file in.csv is a FIFO",)),
        (["lint", "--config", "other.toml"], root / "other.toml", ("config file",)),
    ]
    for args, fifo, parts in cases:
        if "--no-config" in args:  # the baseline case: a config without the FIFO owners
            args = ["lint", "--config", write(root / "plain.toml", "max-kpis = 7\n"), *args[2:]]
            parts = ("baseline baseline.json is a FIFO, not a regular file; not read",)
        writer = FifoWriter(fifo)
        line = refused(run_measured(args, root, timeout=10), "not a regular file", *parts)
        assert writer.never_opened(), f"{args}: kpispec opened the FIFO ({line})"


@pytest.mark.slow  # every input as a real process
def test_dev_zero_is_refused_as_every_input(tmp_path):
    root = project(tmp_path, '[policy]\nowners-file = "/dev/zero"\n')  # absolute: as given
    refused(run_measured(["lint"], root), "owners file /dev/zero is a character device")
    plain = write(tmp_path / "plain.toml", "max-kpis = 7\n")
    refused(
        run_measured(["lint", "--config", plain, "--baseline", "/dev/zero"], root),
        "baseline /dev/zero is a character device, not a regular file; not read",
    )
    refused(run_measured(["lint", "--config", "/dev/zero"], root), "config file /dev/zero is a")
    refused(run_measured(["import", "csv", "/dev/zero"], root), "CSV file /dev/zero is a")
    # the schema's target is read to compare before it is written: refused unread
    refused(
        run_measured(["schema", "--output", "/dev/zero", "--force"], root),
        "--output: /dev/zero is a character device, not a regular file; nothing written",
    )
    # standard input has no size to look at: read no further than the cap
    line = refused(
        run_measured(["import", "csv", "-"], root, stdin="/dev/zero"),
        "stdin holds more than the 64 MiB limit for a CSV file",
    )
    assert line.startswith("kpispec: ")


@pytest.mark.slow  # a real device node, as every input
def test_a_device_made_with_mknod_is_refused(tmp_path):
    root = project(tmp_path, '[policy]\nowners-file = "owners"\n')
    make_device(root / "owners")
    make_device(root / "in.csv")
    make_device(root / "baseline.json")
    refused(run_measured(["lint"], root), "owners file", "is a character device")
    refused(run_measured(["import", "csv", "in.csv"], root), "CSV file in.csv is a character")
    plain = write(tmp_path / "plain.toml", "max-kpis = 7\n")
    refused(
        run_measured(["lint", "--config", plain, "--baseline", "baseline.json"], root),
        "baseline baseline.json is a character device",
    )


def test_a_socket_is_refused(tmp_path):
    root = project(tmp_path, '[policy]\nowners-file = "owners.sock"\n')
    with make_socket(root / "owners.sock"), make_socket(root / "in.csv"):
        refused(run_measured(["lint"], root), "owners file", "is a socket, not a regular file")
        refused(run_measured(["import", "csv", "in.csv"], root), "CSV file in.csv is a socket")


def test_read_input_looks_again_once_open(tmp_path, monkeypatch):
    """A regular file at the look, a FIFO by the open (swapped in between): the open does
    not wait, and the FIFO is refused."""
    fifo = tmp_path / "swapped"
    os.mkfifo(fifo)
    real_stat = os.stat
    regular = real_stat(__file__)
    monkeypatch.setattr(safefile.os, "stat", lambda path: regular)
    with pytest.raises(safefile.NotRegular, match="owners file swapped is a FIFO"):
        safefile.read_input(fifo, "owners", "swapped")
    monkeypatch.setattr(safefile.os, "stat", real_stat)


# --- size caps, checked before a byte is read ----------------------------------------------


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk (and no time to make)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize(
    "kind, size, shown",
    [
        ("owners", 40 << 20, "40 MiB, over the 8 MiB limit for an owners file"),
        ("baseline", (64 << 20) + 1, "67,108,865 bytes, over the 64 MiB limit for a baseline"),
        ("config", (1 << 20) + 1, "1,048,577 bytes, over the 1 MiB limit for a config file"),
        ("csv", 100 << 20, "100 MiB, over the 64 MiB limit for a CSV file"),
    ],
)
def test_each_kind_has_its_cap_named_in_the_message(tmp_path, kind, size, shown):
    root = project(tmp_path)
    plain = write(tmp_path / "plain.toml", "max-kpis = 7\n")
    if kind == "owners":
        sparse(root / "owners.yaml", size)
        write(root / "kpispec.toml", '[policy]\nowners-file = "owners.yaml"\n')
        args, what = ["lint"], "owners file"
    elif kind == "baseline":
        sparse(root / "b.json", size)
        args, what = ["lint", "--config", plain, "--baseline", "b.json"], "baseline b.json is"
    elif kind == "config":
        sparse(root / "pyproject.toml", size)
        args, what = ["lint"], "config file"
    else:
        sparse(root / "big.csv", size)
        args, what = ["import", "csv", "big.csv"], "CSV file big.csv is"
    refused(run_measured(args, root), what, shown)


def test_a_dbt_manifest_over_its_cap_is_ks604_unread(tmp_path):
    root = project(tmp_path, '[dbt]\nmanifest = "target/manifest.json"\n')
    sparse(root / "target" / "manifest.json", LIMITS["dbt manifest"].max_bytes + 1)
    write(root / "kpis" / "a.yaml", KPI + "    data_source: {system: dbt, metric: revenue}\n")
    run = run_measured(["lint", "--format", "json"], root)
    assert run.returncode == 0 and not run.timed_out, run.stderr  # a warning
    found = [f for f in json.loads(run.stdout)["findings"] if f["code"] == "KS604"]
    assert found and "over kpispec's cap of 1 GiB for a dbt manifest" in found[0]["message"]
    assert run.rss_mb < SMALL_MB


def test_the_dbt_caps_are_the_one_table():
    from kpispec.dbt import artifacts, index

    assert index.MAX_BYTES == LIMITS["dbt manifest"].max_bytes == 1 << 30
    assert artifacts.MAX_BYTES == LIMITS["dbt artifact"].max_bytes == 256 << 20


# --- nesting, refused before the parser sees it --------------------------------------------


def test_a_baseline_of_100000_brackets_is_one_line(tmp_path):
    root = project(tmp_path)
    write(root / "b.json", "[" * 100_000)
    plain = write(tmp_path / "plain.toml", "max-kpis = 7\n")
    refused(
        run_measured(["lint", "--config", plain, "--baseline", "b.json"], root),
        "baseline b.json nests brackets 100,000 deep, over the 100 limit for a baseline",
    )


def test_a_100000_part_dotted_key_in_pyproject_is_refused_in_no_time(tmp_path):
    """tomllib is quadratic in the parts of a dotted key: this file grew kpispec past
    24 GB; even under another tool's table it is read before any bound."""
    root = project(tmp_path)
    write(root / "pyproject.toml", "[tool.other]\n" + ".".join(["a"] * 100_000) + " = 1\n")
    line = refused(run_measured(["lint"], root), "has a dotted key of 100,000 parts")
    assert "over the 100 limit for a config file" in line


@pytest.mark.parametrize(
    "text, shown",
    [
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nests brackets 5,000 deep"),
        ("x = " + "{a = " * 200 + "1" + "}" * 200 + "\n", "nests brackets 200 deep"),
        ("".join(f"k{i} = 1\n" for i in range(10_001)), "holds 10,001 keys and tables"),
        ("".join(f"[t{i}]\n" for i in range(10_001)), "holds 10,001 keys and tables"),
        ('["a".' + ".".join(['"x"'] * 150) + "]\n", "has a dotted key of 151 parts"),
    ],
)
def test_toml_nesting_parts_and_keys_are_bounded(tmp_path, text, shown):
    root = project(tmp_path)
    write(root / "kpispec.toml", text)
    refused(run_measured(["lint"], root), "config file", shown)


def _json_depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_json_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_json_depth, value.values()), default=0)
    return 0


def _random_json(rng: random.Random, depth: int):
    """Nested lists and objects whose strings are made of quotes, backslashes and
    brackets: what could mislead a scan that skips strings."""
    if depth == 0 or rng.random() < 0.2:
        return "".join(rng.choice('[]{}"\\ax') for _ in range(rng.randrange(6)))
    if rng.random() < 0.5:
        return [_random_json(rng, depth - 1) for _ in range(rng.randrange(1, 4))]
    return {_random_json(rng, 0): _random_json(rng, depth - 1) for _ in range(rng.randrange(1, 4))}


@pytest.mark.slow  # generated JSON documents, thousands deep
def test_the_json_scan_finds_the_depth_json_sees():
    rng = random.Random(23)
    for _ in range(3000):
        value = _random_json(rng, rng.randrange(1, 12))
        for text in (json.dumps(value), json.dumps(value, indent=1, ensure_ascii=False)):
            raw = text.encode("utf-8")
            depth = _json_depth(value)
            assert safefile._depth(_scan(raw)) == depth, text


def _scan(raw: bytes) -> bytes:
    """The bracket bytes check_json counts (its own steps, to compare depths exactly)."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = unescaped.translate(None, safefile._NOT_MARKS).replace(b'""', b"")
    return b"".join(marks.split(b'"')[::2])


def test_check_json_cap_edges():
    check_json(b"[" * 100 + b"]" * 100, "baseline", "b")
    with pytest.raises(TooDeep, match="nests brackets 101 deep"):
        check_json(b"[" * 101 + b"]" * 101, "baseline", "b")
    check_json(b'["' + b"[" * 500 + b'"]', "baseline", "b")  # brackets in a string
    with pytest.raises(TooDeep, match="nests brackets 201 deep"):  # after an escaped quote
        check_json(b'["\\"]]]]]]]]"' + b"[" * 200, "baseline", "b")


TOML_KINDS = [
    'a = "[[[[{{{ . . . . "\n',
    "b = '[[[[ .... '\n",
    'c = """\n[[[[\n"\\"""\n.....\n"""\n',
    "d = '''\n[[[[ ''\n.... '''\n",
    "# [[[[ .... = = =\n",
    'e.f."g.h".i = 1\n',
    "t = 1979-05-27T07:32:00.999999-07:00\n",
    "x = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]\n",
    '"quoted.key" = {inner.key = [["a", "b"], [1.0]]}\n',
]


def test_the_toml_scan_passes_every_config_of_the_repository_and_valid_toml():
    configs = [REPO / "pyproject.toml", *REPO.glob("examples/**/*.toml")]
    configs += REPO.glob("tests/**/kpispec.toml")
    assert len(configs) > 3
    for path in configs:
        check_toml(path.read_text(encoding="utf-8"), "config", str(path))
    rng = random.Random(16)
    for _ in range(300):  # strings and comments full of brackets, dots and '=' are skipped
        text = "".join(
            f"[s{n}]\n" + "".join(rng.sample(TOML_KINDS, 4)) for n in range(rng.randrange(1, 30))
        )
        tomllib.loads(text)  # valid TOML
        check_toml(text * 1, "config", "generated")
        check_toml(("x = 1.5\n" * 20) + text, "config", "generated")


def test_a_toml_scan_of_unterminated_strings_stays_linear():
    """Each alternative of the scan matches to the end of the text when a string never
    closes: no start position is scanned twice (a quadratic scan would take minutes)."""
    import time

    size = LIMITS["config"].max_bytes
    for text in (
        '"' + '\\"a' * (size // 3),
        '"""' + "a" * size + "\\",
        "'''" + "a" * size,
        "a" * size,
        " " * size + ".",
    ):
        start = time.monotonic()
        check_toml(text, "config", "x")
        assert time.monotonic() - start < 5


# --- files the config names: inside the project root ---------------------------------------


def test_an_owners_file_outside_the_root_is_a_config_error_naming_the_key(tmp_path):
    write(tmp_path / "fake_netrc", NETRC)
    root = project(tmp_path, '[policy]\nowners-file = "../fake_netrc"\n')
    write(root / "kpis" / "a.yaml", KPI.replace("'@org/finance'", "ghp_SECRETTOKEN12"))
    line = refused(
        run_measured(["lint"], root), "'policy.owners-file'", "'../fake_netrc' leads outside"
    )
    assert SECRET not in line and "absolute path" in line
    # a link inside the root leading out: the same
    (root / "owners").symlink_to(tmp_path / "fake_netrc")
    write(root / "kpispec.toml", '[policy]\nowners-file = "owners"\n')
    line = refused(run_measured(["lint"], root), "is a symbolic link that leads outside")
    assert SECRET not in line


def test_a_file_that_is_not_a_list_of_owners_is_never_quoted(tmp_path):
    """An absolute path is taken as given; a file read that way (or inside the root) whose
    words are not owners (@user, @org/team, e-mail) is refused without a word of it: no
    did-you-mean offers its token."""
    netrc = write(tmp_path / "fake_netrc", NETRC)
    root = project(tmp_path, f'[policy]\nowners-file = "{netrc}"\n')
    write(root / "kpis" / "a.yaml", KPI.replace("'@org/finance'", "ghp_SECRETTOKEN12"))
    run = run_measured(["lint", "--format", "text"], root)
    line = refused(run, "is not a list of owners: line 1 names something")
    assert SECRET not in run.stdout + run.stderr and "api.example.com" not in line
    write(root / "netrc", NETRC)
    write(root / "kpispec.toml", '[policy]\nowners-file = "netrc"\n')
    run = run_measured(["lint", "--format", "text"], root)
    refused(run, "is not a list of owners")
    assert SECRET not in run.stdout + run.stderr


def test_an_absolute_owners_file_is_taken_as_given(tmp_path):
    owners = write(tmp_path / "shared" / "CODEOWNERS", "* @org/finance alice@example.com\n")
    root = project(tmp_path, f'[policy]\nowners-file = "{owners}"\n')
    run = run_measured(["lint", "--format", "json"], root)
    assert run.returncode == 0, run.stdout + run.stderr
    write(root / "kpis" / "a.yaml", KPI.replace("@org/finance", "@org/finanse"))
    run = run_measured(["lint", "--format", "json"], root)
    found = [f for f in json.loads(run.stdout)["findings"] if f["code"] == "KS401"]
    assert "did you mean '@org/finance'?" in found[0]["message"]  # a list of owners: quoted


def test_dbt_paths_stay_inside_the_root_but_links_may_lead_out(tmp_path):
    root = project(tmp_path, '[dbt]\nmanifest = "../elsewhere/manifest.json"\n')
    line = refused(run_measured(["lint"], root), "'dbt.manifest'", "leads outside")
    assert "../elsewhere/manifest.json" in line
    write(root / "kpispec.toml", '[dbt]\nsources = "../../sources.json"\n')
    refused(run_measured(["lint"], root), "'dbt.sources'", "leads outside")
    # a dbt project kept elsewhere, its target folder linked in: followed
    target = tmp_path / "analytics" / "target"
    target.mkdir(parents=True)
    (root / "target").symlink_to(target, target_is_directory=True)
    write(root / "kpispec.toml", '[dbt]\nmanifest = "target/manifest.json"\n')
    run = run_measured(["lint", "--format", "json"], root)
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr, run.stderr


def test_init_reads_pyproject_through_the_reader(tmp_path):
    """kpispec init parses pyproject.toml to append [tool.kpispec]: the same caps (before:
    a 100,000-part dotted key ran it out of memory)."""
    root = project(tmp_path)
    write(root / "pyproject.toml", "[tool.other]\n" + ".".join(["a"] * 100_000) + " = 1\n")
    before = (root / "pyproject.toml").read_bytes()
    line = refused(run_measured(["init"], root), "has a dotted key of 100,000 parts")
    assert line.startswith("kpispec: config file pyproject.toml")
    assert (root / "pyproject.toml").read_bytes() == before
    sparse(root / "pyproject.toml", (1 << 20) + 1)
    refused(
        run_measured(["init"], root), "is 1,048,577 bytes, over the 1 MiB limit for a config file"
    )


def test_a_gitignore_that_is_not_a_file_is_passed_over(tmp_path):
    """The project root's .gitignore (read for folder walks) linked to /dev/zero ran lint
    out of memory, a FIFO there made it wait forever: passed over, the run goes on."""
    root = project(tmp_path)
    (root / ".gitignore").symlink_to("/dev/zero")
    run = run_measured(["lint", "--format", "json"], root)
    assert run.returncode == 0 and not run.timed_out, run.stderr
    assert json.loads(run.stdout)["summary"]["files"] == 1 and run.rss_mb < SMALL_MB
    (root / ".gitignore").unlink()
    os.mkfifo(root / ".gitignore")
    writer = FifoWriter(root / ".gitignore")
    run = run_measured(["lint", "--format", "json"], root)
    assert run.returncode == 0 and not run.timed_out, run.stderr
    assert writer.never_opened()
