"""Services that tools and the assistant both use: settings and the model client."""
