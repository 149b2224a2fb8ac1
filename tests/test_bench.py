"""The national benchmark still runs: a 0.01x smoke run of every part (timings are reported by bench/national.py,
never asserted here), with the records in the shape docs/benchmarks.md and bench/results.json promise."""

import importlib.util
import json

from tests.conftest import ROOT

FIELDS = {"name", "unit", "value", "floor", "ratio", "target", "target_on", "better", "scale"}


def _national():
    spec = importlib.util.spec_from_file_location("bench_national", ROOT / "bench" / "national.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_national_benchmark_runs_small_and_writes_its_records(tmp_path, monkeypatch):
    bench = _national()
    out = tmp_path / "results.json"
    results = bench.main(["--scale", "0.01", "--repeat", "1", "--voters", "12", "--out", str(out)])
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(results))
    assert all(FIELDS <= set(r) for r in written)
    names = {r["name"] for r in written}
    for page in ("home", "assess", "dashboard", "compare places", "workshop", "the framework", "manage"):
        assert {f"{page} cold", f"{page} warm"} <= names
    assert {"assess rerun after an answer", "vote burst throughput", "vote burst stored exactly once",
            "import national csv", "board report pdf cold", "backup", "backup download"} <= names  # fmt: skip
    burst = next(r for r in written if r["name"] == "vote burst stored exactly once")
    assert burst["value"] == 0 and burst["met"] is True, "every vote of the burst stored exactly once"
    for r in written:
        assert r["value"] >= 0 and (r["floor"] is None or r["floor"] > 0)
        if r["target"] is not None:
            assert isinstance(r["met"], bool)


def test_the_benchmark_table_lists_every_record_with_its_target(tmp_path):
    bench = _national()
    records = [
        bench.record("home warm", 0.2, 0.1, 1.0, kind="page warm"),
        bench.record("import national csv", 4.0, None, 1.0),
        bench.record("import national csv", 9.0, None, 4.0),
    ]
    table = bench.table_markdown(records, "2026-11-24", "2 cores")
    assert "| import national csv | 4 s | 9 s | ≤ 5 s | no |" in table
    assert "| home warm | 0.2 s (2×) |" in table


def test_with_both_backends_the_table_puts_them_side_by_side(tmp_path):
    bench = _national()
    sqlite = bench.record("import national csv", 4.0, None, 1.0)
    postgresql = bench._tagged(bench.record("import national csv", 5.0, None, 1.0), "postgresql", [sqlite])
    table = bench.table_markdown([bench._tagged(sqlite, "sqlite", []), postgresql], "2026-12-07", "2 cores")
    assert "| what | 1× SQLite | 1× PostgreSQL | target | met |" in table
    assert "| import national csv | 4 s | 5 s [1.25× SQLite] | ≤ 5 s | yes |" in table


def test_the_backups_part_runs_on_postgresql_too(tmp_path, pg_address):
    from checklist import demo, store

    bench = _national()
    db = store.connect(pg_address)
    demo.create_demo(db)
    db.close()
    records = bench.measure_backups(pg_address, 0.01, tmp_path)
    assert [r["name"] for r in records] == ["backup", "backup download", "backup reading alone"]
    assert all(r["value"] > 0 and r["floor"] > 0 for r in records), "each against PostgreSQL's own pg_dump"
