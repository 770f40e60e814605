"""`promopilot hash-password NAME`: a users-file line for password login (see web/login.py)."""

from __future__ import annotations

import click


@click.command("hash-password")
@click.argument("name")
@click.password_option(help="The password (asked twice when not given).")
def hash_password(name: str, password: str) -> None:
    """Print NAME:HASH for PROMOPILOT_USERS_FILE (argon2id; the password itself is stored nowhere).

    The hash alone also works as PROMOPILOT_PASSWORD, for a single account named PROMOPILOT_USER.
    """
    from web.login import hash_password as make_hash

    if ":" in name or not name.strip():
        raise click.BadParameter("a user name without ':'", param_hint="NAME")
    click.echo(f"{name.strip()}:{make_hash(password)}")


COMMANDS = [hash_password]
