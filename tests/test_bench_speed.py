"""The side-by-side speed benchmark's goals, table and medians (pure functions, no Rasa)."""

from __future__ import annotations

from benchmarks.speed import goals, medians, table

BEFORE = {"startup_s": 20.0, "rss_mb": 1200.0, "msg_s_8": 40.0}


def test_throughput_goal_needs_both_the_factor_and_the_floor():
    assert goals(BEFORE, {**BEFORE, "msg_s_8": 60.0})["msg_s_8"]
    assert not goals(BEFORE, {**BEFORE, "msg_s_8": 55.0})["msg_s_8"]  # >= 50 but only 1.375x
    assert not goals({**BEFORE, "msg_s_8": 20.0}, {**BEFORE, "msg_s_8": 45.0})["msg_s_8"]  # 2.25x but < 50


def test_table_shows_ratio_and_verdict_and_leaves_out_what_was_not_measured():
    lines = table(BEFORE, {"startup_s": 10.0, "rss_mb": 1600.0, "msg_s_8": 80.0})
    assert len(lines) == 4  # header + 3 figures: no training rows without --train
    startup, rss, rate = lines[1:]
    assert startup.split() == ["start-up", "s", "(first", "answer)", "20.0", "10.0", "0.50x"]
    assert rss.split()[-7:] == ["1200", "1600", "1.33x", "<=", "1500:", "NOT", "met"]
    assert rate.split()[-10:] == ["40.0", "80.0", "2.00x", ">=", "1.5x", "before", "and", ">=", "50:", "met"]


def test_medians_per_concurrency_across_rounds():
    runs = {1: [{"p50_ms": 30.0, "p95_ms": 50.0, "msg_s": 30.0}, {"p50_ms": 10.0, "p95_ms": 70.0, "msg_s": 34.0},
                {"p50_ms": 20.0, "p95_ms": 60.0, "msg_s": 31.0}],
            8: [{"p50_ms": 90.0, "p95_ms": 200.0, "msg_s": 55.0}]}
    assert medians(runs) == {"p50_ms_1": 20.0, "p95_ms_1": 60.0, "msg_s_1": 31.0,
                             "p50_ms_8": 90.0, "p95_ms_8": 200.0, "msg_s_8": 55.0}
