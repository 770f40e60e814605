"""Segmentation: planted clusters are found, k is recommended by the model or the rule, runs are stored
whole or not at all, and the model only ever sees aggregates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from cli import main
from storage.db import Database
from storage.errors import UserError
from storage.segments import active_run_id
from tools import run_tool
from tools.segments import charts, cluster, naming, recommend

BLOB_FEATURES = ["visit_frequency", "cart_abandonment_rate", "discount_sensitivity", "luxury_affinity"]


def plant_clusters(db: Database, k: int, n: int = 600, seed: int = 3) -> pd.Series:
    """Write `n` customers drawn from `k` well-separated blobs into the customer tables; returns the
    true cluster of each customer, indexed by customer_id. The centres sit on the axes (+-10 e_i), at
    least 14 apart, so the planted structure is really there (random centres sometimes overlap)."""
    centres = 10 * np.vstack([np.eye(4), -np.eye(4)])[:k]
    points, truth = make_blobs(n_samples=n, centers=centres, cluster_std=1.0, random_state=seed)
    people = pd.DataFrame({"customer_id": [f"P{i:05d}" for i in range(n)]})
    people["first_name"] = [f"Plantina{i}" for i in range(n)]
    people["last_name"] = "Blobsworth"
    people["email"] = [f"plantina{i}@example.com" for i in range(n)]
    for column, values in zip(BLOB_FEATURES, points.T, strict=True):
        people[column] = values
    with db.transaction() as con:
        con.execute("""INSERT INTO customers (customer_id, first_name, last_name, email, source)
                       SELECT customer_id, first_name, last_name, email, 'test' FROM people""")
        con.execute("""INSERT INTO customer_behavior (customer_id, visit_frequency, cart_abandonment_rate)
                       SELECT customer_id, visit_frequency, cart_abandonment_rate FROM people""")
        con.execute("""INSERT INTO customer_preferences (customer_id, discount_sensitivity, luxury_affinity)
                       SELECT customer_id, discount_sensitivity, luxury_affinity FROM people""")
    return pd.Series(truth, index=people["customer_id"])


def members(db: Database, run_id: int) -> pd.Series:
    df = db.df("SELECT customer_id, segment FROM segment_members WHERE run_id = ? ORDER BY customer_id", [run_id])
    return df.set_index("customer_id")["segment"]


def stored_counts(db: Database) -> tuple[int, int, int]:
    return tuple(db.scalar(f"SELECT count(*) FROM {t}") for t in ("segment_runs", "segment_members", "segments"))  # noqa: S608


def names_reply(k: int) -> str:
    return json.dumps(
        {"segments": [{"segment": s, "name": f"Model tribe {s}", "description": f"Tribe {s} in one sentence."}
                      for s in range(1, k + 1)]}
    )  # fmt: skip


@pytest.mark.parametrize("planted", [3, 4, 5, 6])
def test_planted_clusters_are_recovered_and_their_number_recommended(ctx, planted):
    truth = plant_clusters(ctx.db, planted)
    sweep = run_tool(ctx, "segment_sweep", features=BLOB_FEATURES)
    assert sweep.data["recommendation"]["k"] == planted
    assert sweep.data["recommendation"]["decided_by"] == "rule"
    assert "no AI model" in sweep.summary and sweep.data["method"] == "kmeans"
    assert [row["k"] for row in sweep.data["metrics"]] == list(range(2, 11))
    assert sweep.charts[0].figure["data"]
    assert stored_counts(ctx.db) == (0, 0, 0)  # a sweep stores nothing

    run = run_tool(ctx, "segment_run", k="auto", features=BLOB_FEATURES)
    assert run.data["k"] == planted
    found = members(ctx.db, run.data["run_id"])
    assert adjusted_rand_score(truth.loc[found.index], found) > 0.9
    assert run.data["stability_ari"] > 0.9
    # Segments are numbered 1..k from the largest down, and sizes add up.
    sizes = found.value_counts().sort_index()
    assert list(sizes.index) == list(range(1, planted + 1)) and sizes.is_monotonic_decreasing
    assert [s["size"] for s in run.data["segments"]] == list(sizes)


@pytest.mark.parametrize("planted", [4, 6])
def test_the_big_shop_method_recovers_planted_clusters_too(ctx, monkeypatch, planted):
    """MiniBatchKMeans starts, fit sample and sampled silhouette (thresholds lowered so 2,000 customers count as
    big): the same clusters and the same recommended k as exact KMeans."""
    monkeypatch.setattr(cluster, "KMEANS_LIMIT", 500)
    monkeypatch.setattr(cluster, "FIT_SAMPLE", 1_000)
    monkeypatch.setattr(cluster, "PROPOSAL_SAMPLE", 400)
    monkeypatch.setattr(cluster, "SILHOUETTE_SAMPLE", 500)
    truth = plant_clusters(ctx.db, planted, n=2000)
    run = run_tool(ctx, "segment_run", k="auto", features=BLOB_FEATURES)
    assert run.data["method"] == "minibatch" and "fit sample" in run.data["method_detail"]
    assert run.data["k"] == planted
    found = members(ctx.db, run.data["run_id"])
    assert len(found) == 2000 and adjusted_rand_score(truth.loc[found.index], found) > 0.9


def test_runs_are_kept_and_exactly_one_is_active(demo_ctx):
    db = demo_ctx.db
    first = run_tool(demo_ctx, "segment_run", k=3, seed=1).data["run_id"]
    second = run_tool(demo_ctx, "segment_run", k=4, seed=2).data["run_id"]
    assert active_run_id(db) == second != first
    assert db.scalar("SELECT count(*) FROM segment_runs WHERE is_active") == 1
    assert db.scalar("SELECT count(*) FROM segment_members WHERE run_id = ?", [first]) == 2000
    assert db.scalar("SELECT count(DISTINCT segment) FROM segment_members WHERE run_id = ?", [second]) == 4
    run = db.rows("SELECT * FROM segment_runs WHERE run_id = ?", [second])[0]
    assert run["k"] == 4 and run["seed"] == 2 and run["method"] == "kmeans" and run["transformer"]
    assert json.loads(run["metrics"])["silhouette"] > 0
    # The same seed on the same data gives the same segments.
    again = run_tool(demo_ctx, "segment_run", k=4, seed=2).data["run_id"]
    assert (members(db, again) == members(db, second)).all()


def test_profiles_describe_each_segment_from_the_data(demo_ctx):
    db = demo_ctx.db
    run_id = run_tool(demo_ctx, "segment_run", k=4).data["run_id"]
    rows = db.rows("SELECT segment, size, share, profile, named_by, name FROM segments WHERE run_id = ?", [run_id])
    assert sum(r["size"] for r in rows) == 2000 and abs(sum(r["share"] for r in rows) - 1) < 1e-9
    for row in rows:
        profile = json.loads(row["profile"])
        mean_spent = db.scalar(
            "SELECT avg(total_spent) FROM customer_behavior JOIN segment_members USING (customer_id) "
            "WHERE run_id = ? AND segment = ?",
            [run_id, row["segment"]],
        )
        assert profile["means"]["total_spent"] == pytest.approx(mean_spent, abs=0.06)
        assert len(profile["top_categories"]) == 3 and len(profile["top_brands"]) == 3
        assert abs(sum(profile["style_mix"].values()) - 1) < 0.01
        assert len(profile["distinguishing"]) == 3
        assert row["named_by"] == "rule" and row["name"]
    # The biggest spenders' segment is told apart by spending, and its rule name says so.
    richest = max(rows, key=lambda r: json.loads(r["profile"])["means"]["total_spent"])
    top = json.loads(richest["profile"])["distinguishing"]
    assert {d["feature"] for d in top} & {"total_spent", "avg_order_value", "order_count", "price_range_max"}
    assert len({r["name"] for r in rows}) == 4


def test_show_list_and_rename(demo_ctx):
    run_tool(demo_ctx, "segment_run", k=3)
    shown = run_tool(demo_ctx, "segment_show")
    titles = [c.title for c in shown.charts]
    assert titles == ["Segment sizes", "Segment profile heatmap", "Segment map (PCA)"]
    scatter = shown.charts[-1].to_figure()  # rebuilt with the run's stored transformer
    assert sum(len(trace.x) for trace in scatter.data) == 2000  # fewer than the 3,000-point cap
    assert len(scatter.data) == 3
    assert len(shown.tables[0].rows) == 3
    apart = shown.tables[0].to_df()["compared with the rest, they"]
    assert not apart.str.contains("_").any(), "worded, never total_spent or avg_order_value"
    phrases = {w[2] for pair in naming.WORDS.values() for w in pair} | {
        w for pair in naming.OTHER_PHRASES.values() for w in pair
    }
    assert all(set(cell.split(", ")) <= phrases for cell in apart), apart.tolist()
    one = run_tool(demo_ctx, "segment_show", segment=2)
    assert one.data["segment"] == 2 and one.data["profile"]["size"] > 0

    renamed = run_tool(demo_ctx, "segment_rename", {"segment": 2, "name": " Weekend browsers ", "description": "New."})
    assert renamed.data["name"] == "Weekend browsers"
    listed = run_tool(demo_ctx, "segment_list")
    second = listed.data["segments"][1]
    assert (second["name"], second["named_by"], second["description"]) == ("Weekend browsers", "user", "New.")
    # "Are these groups any good?": the list says how good the split is, as the run measured it.
    run = demo_ctx.db.rows("SELECT run_id, metrics, stability_ari FROM segment_runs WHERE is_active")[0]
    silhouette = json.loads(run["metrics"])["silhouette"]
    assert f"(silhouette {silhouette:.2f})" in listed.summary
    assert f"(stability {run['stability_ari']:.2f})." in listed.summary
    # "the top two of those": only those rows, the whole run still counted.
    two = run_tool(demo_ctx, "segment_list", segments=[2, 1])
    assert [s["segment"] for s in two.data["segments"]] == [1, 2] and len(two.tables[0].rows) == 2
    every = len(listed.data["segments"])
    assert two.summary.startswith(f"Run {run['run_id']} has {every} segments; 2 of them here: 1.")
    with pytest.raises(UserError, match="no segment 9"):
        run_tool(demo_ctx, "segment_list", segments=[1, 9])
    with pytest.raises(UserError, match="no segment 9"):
        run_tool(demo_ctx, "segment_rename", {"segment": 9, "name": "Nobody"})
    with pytest.raises(UserError, match="no segmentation run 7"):
        run_tool(demo_ctx, "segment_show", run_id=7)


def test_large_shops_use_minibatch_and_a_sampled_silhouette(demo_ctx, monkeypatch):
    monkeypatch.setattr(cluster, "KMEANS_LIMIT", 500)
    monkeypatch.setattr(cluster, "SILHOUETTE_SAMPLE", 400)
    monkeypatch.setattr(cluster, "STABILITY_SAMPLE", 800)
    sweep = run_tool(demo_ctx, "segment_sweep", k_max=4)
    assert sweep.data["method"] == "minibatch"
    assert "MiniBatchKMeans" in sweep.summary and "sample of 400" in sweep.summary
    run = run_tool(demo_ctx, "segment_run", k=4)
    assert run.data["method"] == "minibatch" and 0 <= run.data["stability_ari"] <= 1
    assert demo_ctx.db.scalar("SELECT count(*) FROM segment_members") == 2000


def test_the_model_recommends_k_and_names_segments_from_aggregates_only(demo_ctx, model_ctx, fake_openai):
    fake_openai.reply(content='{"k": 4, "reason": "Silhouette holds up well to four segments."}')
    fake_openai.reply(content=names_reply(4))
    run = run_tool(model_ctx, "segment_run", k="auto")
    assert run.data["recommendation"] == {
        "k": 4, "reason": "Silhouette holds up well to four segments.", "decided_by": "model", "fallback": None
    }  # fmt: skip
    assert run.data["k"] == 4 and run.data["named_by"] == "model"
    names = model_ctx.db.df("SELECT name, named_by FROM segments ORDER BY segment")
    assert list(names["name"]) == [f"Model tribe {s}" for s in range(1, 5)]
    # Two requests: the metric table, then the profiles. No customer's name or email in either.
    assert len(fake_openai.requests) == 2
    sent = fake_openai.bodies()
    assert "silhouette" in sent and "distinguishing" in sent
    people = model_ctx.db.rows("SELECT first_name || ' ' || last_name AS full_name, email FROM customers")
    assert not [p for p in people if p["email"] in sent or p["full_name"] in sent]
    assert "@example." not in sent and "C0000001" not in sent


@pytest.mark.parametrize(
    "k_reply",
    [
        '{"k": 42, "reason": "more is better"}',
        '{"k": 2, "reason": "below the minimum"}',
        '{"k": 4, "reason": "   "}',
        "I think maybe five?",
    ],
)
def test_nonsense_from_the_model_falls_back_to_the_rule(model_ctx, fake_openai, k_reply):
    truth = plant_clusters(model_ctx.db, 4)
    fake_openai.reply(content=k_reply)
    fake_openai.reply(content='{"segments": [{"segment": 1, "name": "Only one", "description": "Just one segment."}]}')
    run = run_tool(model_ctx, "segment_run", k="auto", features=BLOB_FEATURES)
    rec = run.data["recommendation"]
    assert rec["decided_by"] == "rule" and rec["k"] == 4 and "no usable answer" in rec["fallback"]
    assert run.data["named_by"] == "rule" and "no usable names" in run.summary
    assert run.summary.startswith(f"I split your {run.data['customers']:,} customers into 4 segments, the clearest")
    assert "Biggest: " in run.summary.split("How:")[0] and "silhouette" not in run.summary.split("How:")[0]
    assert adjusted_rand_score(truth.loc[members(model_ctx.db, run.data["run_id"]).index],
                               members(model_ctx.db, run.data["run_id"])) > 0.9  # fmt: skip


def test_a_failing_model_falls_back_too(demo_ctx, model_ctx, fake_openai):
    fake_openai.fault(500).fault(500).fault(500)  # the client retries twice, then gives up
    sweep = run_tool(model_ctx, "segment_sweep", k_max=6)
    assert sweep.data["recommendation"]["decided_by"] == "rule"
    assert 3 <= sweep.data["recommendation"]["k"] <= 6


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"k": 1}, "greater than or equal to 2"),
        ({"k": 31}, "less than or equal to 30"),
        ({"k": "lots"}, "auto"),
        ({"k": 4, "features": ["shoe_size"]}, "Unknown feature"),
        ({"k": 4, "features": ["visit_frequency"]}, "same for everyone"),
        ({"k": 30}, "too few for 30 segments"),
        ({"k": 3, "features": ["total_spent", "luxury_affinity"]}, "total_spent has no values"),
        ({"k": "auto", "min_k": 25}, "too few for 25 segments"),
        ({"k": 3, "seed": -1}, "seed: Input should be greater than or equal to 0"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(ctx, arguments, message):
    plant_clusters(ctx.db, 3, n=100)
    ctx.db.execute("UPDATE customer_behavior SET visit_frequency = 1.5")
    with pytest.raises(UserError, match=message):
        run_tool(ctx, "segment_run", **arguments)
    assert stored_counts(ctx.db) == (0, 0, 0)


def test_too_few_distinct_customers_for_k(ctx):
    plant_clusters(ctx.db, 3, n=100)
    # Three planted groups, each now a single point: (1, 0), (0, 1) and (0, 0).
    ctx.db.execute("""UPDATE customer_behavior SET visit_frequency = (visit_frequency > 5)::INT,
                      cart_abandonment_rate = (cart_abandonment_rate > 5)::INT""")
    features = ["visit_frequency", "cart_abandonment_rate"]
    with pytest.raises(UserError, match="fewer than 4 distinct feature combinations"):
        run_tool(ctx, "segment_run", k=4, features=features)
    with pytest.raises(UserError, match="only 3 distinct combinations of visit_frequency, cart_abandonment_rate"):
        run_tool(ctx, "segment_run", k="auto", min_k=4, features=features)
    assert stored_counts(ctx.db) == (0, 0, 0)
    # "auto" compares only the k the distinct points allow, and finds the three.
    assert run_tool(ctx, "segment_run", k="auto", features=features).data["k"] == 3
    sweep = json.loads(ctx.db.scalar("SELECT metrics FROM segment_runs"))["sweep"]
    assert [row["k"] for row in sweep] == [2, 3]


def test_the_minimum_k_is_honoured_or_refused(ctx):
    plant_clusters(ctx.db, 3, n=100)
    with pytest.raises(UserError, match=r"k_max \(4\) is below min_k \(6\)"):
        run_tool(ctx, "segment_sweep", k_max=4, min_k=6, features=BLOB_FEATURES)
    # Asked for at least 12 segments, auto compares up to 12 (beyond the usual 10) and picks no fewer.
    run = run_tool(ctx, "segment_run", k="auto", min_k=12, features=BLOB_FEATURES)
    assert run.data["k"] == 12 and run.data["recommendation"]["k"] == 12
    sweep = json.loads(ctx.db.scalar("SELECT metrics FROM segment_runs"))["sweep"]
    assert [row["k"] for row in sweep] == list(range(2, 13))


def test_a_segment_with_no_values_for_a_profiled_feature(ctx):
    """Clustering on behaviour only, one planted group has no preferences at all: its profile says so, and the
    heatmap leaves those cells empty instead of failing after the run was stored."""
    truth = plant_clusters(ctx.db, 3)
    lacking = tuple(truth[truth == 0].index)
    ctx.db.execute(f"DELETE FROM customer_preferences WHERE customer_id IN {lacking}")  # noqa: S608 - test ids
    run = run_tool(ctx, "segment_run", k=3, features=["visit_frequency", "cart_abandonment_rate"])
    found = members(ctx.db, run.data["run_id"])
    empty = int(found.loc[list(lacking)].mode()[0])
    for result in (run, run_tool(ctx, "segment_show")):
        heatmap = next(c for c in result.charts if c.title == "Segment profile heatmap").figure["data"][0]
        row = heatmap["z"][heatmap["y"].index(next(y for y in heatmap["y"] if y.startswith(f"{empty}.")))]
        cells = dict(zip(heatmap["x"], row, strict=True))
        assert cells["discount_sensitivity"] is None and cells["luxury_affinity"] is None
        assert cells["visit_frequency"] is not None
    profile = run_tool(ctx, "segment_show", segment=empty).data["profile"]
    assert profile["means"]["luxury_affinity"] is None and profile["means"]["visit_frequency"] is not None


def test_a_failure_while_building_the_result_stores_nothing(ctx, monkeypatch):
    plant_clusters(ctx.db, 3, n=100)

    def broken(*args, **kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(charts, "map_chart", broken)
    with pytest.raises(RuntimeError, match="chart failed"):
        run_tool(ctx, "segment_run", k=3, features=BLOB_FEATURES)
    assert stored_counts(ctx.db) == (0, 0, 0)


def test_no_data_yet(ctx):
    for name in ("segment_sweep", "segment_run"):
        with pytest.raises(UserError, match="no customers") as caught:
            run_tool(ctx, name)
        assert "promopilot demo" in caught.value.hint


def test_sweep_range_and_reading_segments_before_any_run(demo_ctx):
    with pytest.raises(UserError, match="k_max"):
        run_tool(demo_ctx, "segment_sweep", k_min=6, k_max=4)
    for name in ("segment_list", "segment_show"):
        with pytest.raises(UserError, match="no customer segments"):
            run_tool(demo_ctx, name)


def test_the_rule_without_an_elbow_takes_the_best_silhouette():
    flat = pd.DataFrame({"k": [2, 3, 4, 5], "inertia": [100.0, 75.0, 50.0, 25.0], "silhouette": [0.5, 0.2, 0.4, 0.3]})
    choice = recommend.rule_k(flat, min_k=3)
    assert choice["k"] == 4 and "best silhouette" in choice["reason"]
    assert recommend.recommend_k(None, flat, 3)["fallback"] == "no AI model is configured"


def test_segments_are_numbered_by_size():
    raw = np.array([2, 2, 2, 0, 1, 1])
    assert list(cluster.number_by_size(raw, 3)) == [1, 1, 1, 3, 2, 2]


def test_a_small_shop_compares_only_the_k_it_can_fill(ctx):
    plant_clusters(ctx.db, 3, n=30)
    run = run_tool(ctx, "segment_run", k="auto", features=BLOB_FEATURES)
    sweep = json.loads(ctx.db.scalar("SELECT metrics FROM segment_runs"))["sweep"]
    assert [row["k"] for row in sweep] == [2, 3, 4, 5, 6]  # at least 5 customers per segment
    assert run.data["k"] == 3


def test_the_cli_commands(tmp_path):
    db, charts = str(tmp_path / "cli.duckdb"), tmp_path / "charts"
    cli = CliRunner()
    assert cli.invoke(main, ["--db", db, "demo", "--customers", "300", "--products", "5"]).exit_code == 0
    swept = cli.invoke(main, ["--db", db, "segment", "sweep", "--k-max", "5", "--features", "total_spent",
                              "--features", "luxury_affinity", "--json"])  # fmt: skip
    assert swept.exit_code == 0, swept.output
    assert json.loads(swept.stdout)["data"]["features"] == ["total_spent", "luxury_affinity"]
    ran = cli.invoke(main, ["--db", db, "segment", "run", "--k", "3", "--save-charts", str(charts), "--json"])
    assert json.loads(ran.stdout)["data"]["k"] == 3
    assert len(list(charts.glob("*.html"))) == 3  # sizes, heatmap, map
    renamed = cli.invoke(main, ["--db", db, "segment", "rename", "2", "Window shoppers"])
    assert renamed.exit_code == 0 and "Window shoppers" in renamed.stdout
    shown = cli.invoke(main, ["--db", db, "segment", "show", "2"])
    assert "Window shoppers" in shown.stdout
    listed = json.loads(cli.invoke(main, ["--db", db, "segment", "list", "--json"]).stdout)["data"]
    assert [s["name"] for s in listed["segments"]][1] == "Window shoppers" and len(listed["runs"]) == 1
    profiles = json.loads(cli.invoke(main, ["--db", db, "segment", "show", "--json"]).stdout)["data"]["profiles"]
    assert sorted(profiles) == ["1", "2", "3"] and profiles["2"]["distinguishing"]
    wrong = cli.invoke(main, ["--db", db, "segment", "run", "--k", "0"])
    assert wrong.exit_code == 1 and "Error:" in wrong.stderr and "Traceback" not in wrong.output


def test_a_default_sweep_on_a_small_shop_compares_only_the_k_its_customers_can_fill(ctx):
    plant_clusters(ctx.db, 3, n=32)  # 6 segments of 5 at most: the default k_max of 10 is out of reach
    sweep = run_tool(ctx, "segment_sweep")
    assert [m["k"] for m in sweep.data["metrics"]] == [2, 3, 4, 5, 6]
    assert "I compared 2 to 6 segments" in sweep.summary and sweep.summary.startswith("I would make")
    with pytest.raises(UserError, match="too few for 10 segments"):  # asked for explicitly: refused
        run_tool(ctx, "segment_sweep", k_max=10)


def test_a_shop_too_small_to_segment_is_told_the_minimum_not_to_ask_for_one_segment(ctx):
    plant_clusters(ctx.db, 2, n=8)
    for tool, arguments in (("segment_sweep", {}), ("segment_run", {"k": "auto"})):
        with pytest.raises(UserError) as caught:
            run_tool(ctx, tool, **arguments)
        assert "at least 10 usable customers" in str(caught.value) + (caught.value.hint or "")
        assert "1 segments" not in str(caught.value) + (caught.value.hint or "")


def test_a_rule_name_never_pairs_both_ends_of_the_same_scale():
    """price_range_min and price_range_max share "Budget"/"Upmarket": a segment with a low minimum and a
    high maximum was named "Budget upmarket shoppers". The second word comes from another feature."""
    from tools.segments.naming import rule_name

    profile = {
        "share": 0.28,
        "distinguishing": [
            {"feature": "price_range_min", "d": -0.9},
            {"feature": "price_range_max", "d": 0.8},
            {"feature": "avg_order_value", "d": 0.5},
        ],
    }
    name, description = rule_name(profile, 1)
    assert name == "Budget premium buyers"
    assert "browse lower price points, accept higher prices and fill bigger baskets" in description
    alone = {"share": 0.5, "distinguishing": profile["distinguishing"][:2]}
    assert rule_name(alone, 2)[0] == "Budget customers"


def test_with_predictions_segments_show_their_predicted_value_and_churn_risk(demo_ctx):
    run_tool(demo_ctx, "shop_settings", currency="GBP")
    run_tool(demo_ctx, "segment_run", k=3)
    before = {name: run_tool(demo_ctx, name) for name in ("segment_list", "segment_show")}
    for result in before.values():  # no prediction yet: nothing added, nothing refused
        assert "outlook" not in result.data and "churn" not in result.summary
        assert "share at high churn risk" not in result.tables[0].columns

    run_tool(demo_ctx, "predict")
    expected = demo_ctx.db.df(
        """SELECT m.segment, round(median(p.value_12m), 2) AS value, avg((p.churn_risk = 'high')::INT) AS high
           FROM segment_members m JOIN predictions p USING (customer_id) JOIN segment_runs r USING (run_id)
           WHERE r.is_active GROUP BY ALL ORDER BY ALL"""
    )
    for name in ("segment_list", "segment_show"):
        result = run_tool(demo_ctx, name)
        table = result.tables[0].to_df().set_index("segment")
        assert list(table["predicted 12-month value (median)"]) == list(expected["value"]), name
        assert list(table["share at high churn risk"]) == [round(h, 3) for h in expected["high"]], name
        first = expected.iloc[0]
        assert f"segment 1 median 12-month value £{first['value']:,.2f}, {first['high']:.0%} at high churn risk" in (
            result.summary
        ), name
        assert [o["segment"] for o in result.data["outlook"]] == [1, 2, 3]

    one = run_tool(demo_ctx, "segment_show", segment=2)
    assert one.data["outlook"]["median_predicted_value_12m"] == expected.iloc[1]["value"]
    assert "By the latest prediction: segment 2 median 12-month value £" in one.summary


def test_going_back_to_an_earlier_segmentation_keeps_its_segments_and_names(demo_ctx):
    """ "Go back to the 4 segments" clustered again (a new run 3): the names given to run 1 were lost."""
    run_tool(demo_ctx, "segment_run", k=4)
    run_tool(demo_ctx, "segment_rename", segment=3, name="Bargain Hunters")
    members = demo_ctx.db.df("SELECT customer_id, segment FROM segment_members WHERE run_id = 1 ORDER BY 1")
    run_tool(demo_ctx, "segment_run", k=6)
    result = run_tool(demo_ctx, "segment_use", k=4)
    assert active_run_id(demo_ctx.db) == 1 and demo_ctx.db.scalar("SELECT count(*) FROM segment_runs") == 2
    assert "3. Bargain Hunters" in result.summary
    chat_members = demo_ctx.db.df(
        "SELECT customer_id, segment FROM segment_members JOIN segment_runs USING (run_id) WHERE is_active ORDER BY 1"
    )
    assert chat_members.equals(members)
    assert run_tool(demo_ctx, "segment_use").data["run_id"] == 2  # with neither: the one used before
    assert not run_tool(demo_ctx, "segment_use", run_id=2).data["changed"]
    with pytest.raises(UserError, match="no earlier segmentation with 9 segments") as refused:
        run_tool(demo_ctx, "segment_use", k=9)
    assert "run 1 (4 segments), run 2 (6 segments)" in refused.value.hint


def test_going_back_under_an_unsent_campaign_asks_first(demo_ctx):
    from storage.errors import NeedsConfirmation

    run_tool(demo_ctx, "segment_run", k=3)
    run_tool(demo_ctx, "segment_run", k=4)
    sku = demo_ctx.db.scalar("SELECT sku FROM products ORDER BY sku LIMIT 1")
    run_tool(demo_ctx, "campaign_draft", skus=[sku], segments=[1], variants=1)
    with pytest.raises(NeedsConfirmation, match=r"active segmentation \(run 2\)"):
        run_tool(demo_ctx, "segment_use", run_id=1)
    assert active_run_id(demo_ctx.db) == 2


def test_go_back_to_the_4_segments_in_the_chat(demo_ctx):
    from tests.test_segment_followups import offline_chat, say

    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "split them into 4 groups")
    say(agent, conversation, "rename segment 3 to Bargain Hunters")
    say(agent, conversation, "redo it with 6 segments")
    calls, answer = say(agent, conversation, "go back to the 4 segments")
    assert calls == [("segment_use", {"k": 4})] and "3. Bargain Hunters" in answer
    calls, _ = say(agent, conversation, "describe the bargain hunters")
    assert calls == [("segment_show", {"segment": 3})], "the names of the segmentation in use"
    calls, _ = say(agent, conversation, "switch to run 2")
    assert calls == [("segment_use", {"run_id": 2})]


def test_the_k_in_use_is_told_as_in_use(demo_ctx):
    """ "switch back to the 6" while the 6 were in use said there was no segmentation with 6 segments."""
    run_tool(demo_ctx, "segment_run", k=4)
    run_tool(demo_ctx, "segment_run", k=6)
    result = run_tool(demo_ctx, "segment_use", k=6)
    assert not result.data["changed"] and "already the segmentation in use" in result.summary


def test_back_to_an_earlier_segmentation_said_without_naming_segments(demo_ctx):
    """Under the new segments' table, "actually go back to 4" asked which products to remove; "undo that" after a
    new segmentation said there was no undo; and a name given in the earlier one ("describe the VIPs") got
    "which one did you mean?" with no word of where that name went."""
    from tests.test_segment_followups import offline_chat, say

    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "split them into 4 groups")
    say(agent, conversation, "call group 1 VIPs")
    say(agent, conversation, "go with 6 instead")
    calls, answer = say(agent, conversation, "describe the VIPs")
    assert calls == [] and "'VIPs' is segment 1 of an earlier segmentation (4 segments)" in answer
    assert "go back to run 1" in answer
    calls, answer = say(agent, conversation, "actually go back to 4")
    assert calls == [("segment_use", {"k": 4})] and "1. VIPs" in answer
    say(agent, conversation, "go with 5 instead")
    calls, answer = say(agent, conversation, "undo that")
    assert calls == [("segment_use", {})] and active_run_id(demo_ctx.db) != 3
    calls, _ = say(agent, conversation, "revert to the previous one")
    assert calls == [("segment_use", {})]


def test_switching_to_a_number_of_segments_made_before_uses_that_run_with_its_names(demo_ctx):
    """ "go with 6 instead" clustered again when 6 segments had been made, losing the names given to them."""
    from tests.test_segment_followups import offline_chat, say

    agent, conversation = offline_chat(demo_ctx)
    say(agent, conversation, "split them into 5 groups")
    calls, _ = say(agent, conversation, "switch to 6 groups")
    assert calls == [("segment_run", {"k": 6})]  # none with 6 yet: made now
    say(agent, conversation, "call segment 1 Bargain fans")
    calls, _ = say(agent, conversation, "switch to 5 groups")
    assert calls == [("segment_use", {"k": 5})]
    calls, answer = say(agent, conversation, "go with 6 instead")
    assert calls == [("segment_use", {"k": 6})] and "1. Bargain fans" in answer
    assert "There is no earlier segmentation" not in answer
    assert demo_ctx.db.scalar("SELECT count(*) FROM segment_runs") == 2
    calls, _ = say(agent, conversation, "segment them again into 6")
    assert calls == [("segment_run", {"k": 6})]
