from kpispec.cli import run

run()
