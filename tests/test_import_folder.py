"""The assistant imports only what the person gave it: files uploaded in this chat, or files in the import folder.

A person at the CLI typed the path, so any file they can read is fine for them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.errors import UserError
from tools.registry import run_tool

CSV = "customer_id,email\nZ1,z1@example.com\nZ2,z2@example.com\n"


@pytest.fixture
def files(tmp_path):
    """An import folder with a customers file, and a secret next to it (outside)."""
    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "customers.csv").write_text(CSV)
    secret = tmp_path / ".env"
    secret.write_text("customer_id\nsk-live-SECRET-KEY\n")
    return folder, secret


def as_agent(ctx, **changes):
    return replace(ctx, actor="agent", **changes)


def customers(ctx) -> list[str]:
    return [r[0] for r in ctx.db.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()]


def test_the_assistant_cannot_read_a_file_elsewhere_on_the_server(ctx, files):
    _, secret = files
    for path in (str(secret), "../.env", "~/.env"):
        with pytest.raises(UserError, match="only import files uploaded in this chat"):
            run_tool(as_agent(ctx), "import_data", kind="customers", path=path, dry_run=True)
    assert customers(ctx) == []


def test_the_assistant_reads_the_import_folder_but_not_out_of_it(ctx, files):
    folder, secret = files
    ctx.settings.import_dir = str(folder)
    agent = as_agent(ctx)

    run_tool(agent, "import_data", kind="customers", path="customers.csv")
    assert customers(ctx) == ["Z1", "Z2"]
    run_tool(agent, "import_data", kind="customers", path=str(folder / "customers.csv"))  # absolute, inside

    (folder / "link.csv").symlink_to(secret)
    for path in ("../.env", str(secret), "link.csv", str(folder / "sub" / ".." / ".." / ".env")):
        with pytest.raises(UserError, match="not one of them"):
            run_tool(agent, "import_data", kind="customers", path=path, map={"sk-live-SECRET-KEY": "customer_id"})
    assert customers(ctx) == ["Z1", "Z2"]


def test_the_assistant_reads_a_file_uploaded_in_this_chat(ctx, tmp_path):
    upload = tmp_path / "uploads" / "abc123" / "spring.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text(CSV)
    agent = as_agent(ctx, uploads=(str(upload),))

    run_tool(agent, "import_data", kind="customers", path="spring.csv")  # by its name, as the person said it
    run_tool(agent, "import_data", kind="customers", path=str(upload))
    assert customers(ctx) == ["Z1", "Z2"]
    with pytest.raises(UserError):
        run_tool(as_agent(ctx), "import_data", kind="customers", path=str(upload))  # another chat's upload


def test_a_person_imports_any_path_they_type(ctx, files):
    folder, _ = files
    run_tool(ctx, "import_data", kind="customers", path=str(folder / "customers.csv"))
    assert customers(ctx) == ["Z1", "Z2"]


def test_through_the_model_a_secret_file_is_refused_and_never_reaches_it(ctx, files, fake_openai):
    from assistant.loop import Conversation
    from tests.test_agent import make_agent, tool_messages, turn

    _, secret = files
    fake_openai.reply(tool_calls=[{"name": "import_data", "arguments": {"kind": "customers", "path": str(secret)}}])
    fake_openai.reply(content="Sorry.")

    turn(make_agent(ctx, fake_openai), Conversation(), "import the settings file")

    (answer,) = tool_messages(fake_openai.requests[1])
    assert answer["ok"] is False
    assert "SECRET" not in fake_openai.bodies()
    assert customers(ctx) == []


def test_the_folder_and_the_link_sites_come_from_the_environment(monkeypatch, tmp_path):
    from services.settings import Settings

    monkeypatch.setenv("PROMOPILOT_IMPORT_DIR", str(tmp_path))
    monkeypatch.setenv("PROMOPILOT_LINK_DOMAINS", " Lookbook.example.net, .press.example.org ,")
    settings = Settings.from_env()
    assert settings.import_dir == str(tmp_path)
    assert settings.link_domains == ["lookbook.example.net", "press.example.org"]
