"""bench/cluster.py's own parts, without running the benchmark: its arguments, and the report's
2-vs-1 ratio (round by round, then the median) from wrk results."""

from __future__ import annotations

import pytest

from bench.cluster import PATHS, Front, parse_args, report
from bench.statuspage import Row, WrkResult


def test_defaults_and_a_quick_run() -> None:
    args = parse_args([])
    assert args.paths == PATHS and args.rounds == 3 and args.redis_db == 12
    quick = parse_args(["--rounds", "3", "--duration", "10", "--path", "/manage/"])
    assert (quick.rounds, quick.duration, quick.paths) == (3, 10, ["/manage/"])


def test_nonsense_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rounds", "0"])


def _run(rps: float) -> WrkResult:
    return WrkResult(requests=int(rps * 10), seconds=10, rps=rps, p50_ms=5, p99_ms=20)


def test_ratio_round_by_round() -> None:
    args = parse_args(["--path", "/manage/", "--markdown"])
    fronts = [Front("1 web process", "", 1), Front("2 web processes", "", 2)]
    rows = {
        ("1 web process", "/manage/"): Row("1", "/manage/", [_run(100), _run(50), _run(80)]),
        ("2 web processes", "/manage/"): Row("2", "/manage/", [_run(150), _run(90), _run(80)]),
    }
    text = report(rows, fronts, args)
    # 1.50, 1.80 and 1.00: the median and the spread.
    assert "| /manage/ | 1.50 (1.00–1.80) |" in text
    assert "| /manage/ | 2 web processes | 90 | 5.0 | 20.0 | 0 |" in text
