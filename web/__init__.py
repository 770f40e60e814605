"""Everything served over HTTP besides the chat: tracking links, login, page patching."""
