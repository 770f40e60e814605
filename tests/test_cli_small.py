"""Small CLI promises: a chart folder that cannot be written keeps the result; the hints' commands work as printed."""

from __future__ import annotations

from click.testing import CliRunner

from cli import main
from tools.registry import run_tool


def test_charts_into_a_folder_that_cannot_be_written_keep_the_result_and_say_why(demo_ctx, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")  # root may write anywhere, but not below a file
    path = demo_ctx.db.path
    demo_ctx.db.close()

    out = CliRunner().invoke(
        main, ["--db", path, "segment", "sweep", "--k-min", "2", "--k-max", "3", "--save-charts", str(blocker / "c")]
    )

    assert out.exit_code == 1
    assert out.exception is None or isinstance(out.exception, SystemExit), "no traceback"
    assert "Metrics by k" in out.stdout, "the result is printed all the same"
    assert f"cannot write the charts to {blocker / 'c'}" in "".join(out.stderr.split("\n"))


def test_campaign_approve_without_a_version_approves_the_latest(demo_ctx):
    sku = demo_ctx.db.scalar("SELECT sku FROM products ORDER BY stock DESC LIMIT 1")
    campaign = run_tool(demo_ctx, "campaign_draft", skus=[sku], variants=1).approval.campaign_id
    run_tool(demo_ctx, "campaign_revise", campaign_id=campaign, instruction="make it shorter")
    path = demo_ctx.db.path
    demo_ctx.db.close()

    out = CliRunner().invoke(main, ["--db", path, "campaign", "approve", str(campaign), "--approved-by", "me"])

    assert out.exit_code == 0, out.output
    assert f"Campaign {campaign} version 2 approved by me" in out.stdout
    missing = CliRunner().invoke(main, ["--db", path, "campaign", "approve", "99"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
