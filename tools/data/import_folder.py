"""Which files the assistant may import: those uploaded in this chat, or those in one import folder.

A person at the CLI types a path and gets that file (they could read it anyway). The assistant's
path comes from a model, which may have read a prompt injection, so it may only name a file the
person uploaded in this chat or a file inside `PROMOPILOT_IMPORT_DIR`. The path is resolved
(`..` and symlinks followed) before it is compared with that folder, so a symlink cannot lead out
of it; nothing else on the server (a `.env`, a key file) can be read into the database.
"""

from __future__ import annotations

from pathlib import Path

from storage.errors import UserError
from tools.context import ToolContext


def readable_path(ctx: ToolContext, path: str) -> str:
    """The path to read: unchanged for a person; for the assistant an upload of this chat or a file in the folder."""
    if ctx.actor != "agent":
        return path
    uploaded = {Path(p).resolve(): p for p in ctx.uploads}
    for candidate in (Path(path), *(Path(p) for p in ctx.uploads if Path(p).name == Path(path).name)):
        if candidate.resolve() in uploaded:
            return str(candidate.resolve())
    folder = ctx.settings.import_dir
    if folder:
        base = Path(folder).expanduser().resolve()
        target = (base / path).resolve()  # an absolute `path` replaces base; resolve follows every symlink
        if target.is_relative_to(base) and target.is_file():
            return str(target)
    where = "attach it to the chat" + (", or put it in the import folder" if folder else "")
    raise UserError(
        f"I can only import files uploaded in this chat{' or in the import folder' if folder else ''}; "
        f"{Path(path).name!r} is not one of them.",
        hint=f"To import a file, {where}.",
    )
