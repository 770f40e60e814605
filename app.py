"""PromoPilot's chat UI: `chainlit run app.py` (or `promopilot start`). The logic is in assistant/webapp.py."""

from __future__ import annotations

import chainlit as cl
import chainlit.server
from chainlit.server import app as server

from assistant import webapp
from tools.registry import load_all
from web import login, pages

cl.on_app_startup(webapp.on_app_startup)
cl.on_chat_start(webapp.on_chat_start)
cl.set_chat_profiles(webapp.chat_profiles)
cl.on_message(webapp.on_message)
cl.action_callback("approve")(webapp.on_approve)
cl.action_callback("revise")(webapp.on_revise)
cl.action_callback("reject")(webapp.on_reject)
cl.action_callback("reading")(webapp.on_reading)
cl.action_callback("say")(webapp.on_say)
cl.action_callback("confirm")(webapp.on_confirm)
cl.action_callback("cancel")(webapp.on_cancel)
login.enable_login()  # only when a password or a users file is configured

pages.mount_tracking(server, webapp.get_db, webapp.settings())
pages.keep_page_local(chainlit.server)
load_all()  # import every tool (and numpy, sklearn, plotly) now, not in the first user's first request
