"""The benchmark still runs (tiny sizes; timings are reported by bench/run.py, never asserted here)."""

import importlib.util

from tests.conftest import ROOT


def test_benchmark_runs_and_writes_its_report(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "latest.json"
    report = bench.main(["--systems", "2", "--places", "4", "--rounds", "2", "--repeat", "2", "--voters", "6",
                          "--out", str(out)])  # fmt: skip
    assert out.exists()
    national = report["sizes"]["national"]
    assert (national["places"], national["assessments"], national["responses"]) == (4, 8, 8 * 17)
    assert set(national["cases"]) == set(report["growth"])
    assert all(case["x_floor"] > 0 for case in national["cases"].values())
    workshop = report["workshop"]
    assert workshop["voters"] == 6 and workshop["burst_x_solo_vote"] > 0 and workshop["presenter_refresh_x_floor"] > 0
