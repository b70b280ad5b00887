"""bench/s3.py's own harness: a failed client's line names no raw format, and --no-build works
without an earlier build/bench (both broke a run once)."""
import importlib.util
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_s3_bench():
    sys.path.insert(0, os.path.join(TOP, "bench"))
    spec = importlib.util.spec_from_file_location("s3_bench", os.path.join(TOP, "bench", "s3.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_client_without_successful_runs_is_reported_without_raw_formats():
    bench = load_s3_bench()
    empty = {"wall_s": None, "cpu_s_per_gib": None, "rss_mib": None}
    good = {"wall_s": {"median": 1.0}, "cpu_s_per_gib": {"median": 2.0}, "rss_mib": {"median": 30.0}}
    summaries = {"libtosupload": good, "aws-c-s3": empty, "aws-c-s3+crc64": good, "boto3": good}
    lines = bench.targets(summaries, None)
    failed = [line for line in lines if "no successful runs" in line]
    assert len(failed) == 3, lines
    for line in lines:
        assert "%" not in line, line
    assert "libtosupload n/a s <= aws-c-s3 n/a s" in failed[0], failed[0]


def test_the_helpers_build_into_a_build_folder_that_does_not_exist_yet(tmp_path):
    bench = load_s3_bench()
    run = bench.tosbench
    build_dir = tmp_path / "no-such" / "bench"
    old = (run.BUILD_DIR, run.RUNSTAT)
    run.BUILD_DIR, run.RUNSTAT = str(build_dir), str(build_dir / "bench_runstat")
    try:
        run.build_helpers(False)
    finally:
        run.BUILD_DIR, run.RUNSTAT = old
    assert os.access(build_dir / "bench_runstat", os.X_OK)
