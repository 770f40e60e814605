"""PromoPilot's capabilities, in one package per domain; each `@tool` registers itself (see `tools.registry`)."""

from services.settings import Settings
from tools.context import Progress, ToolContext
from tools.registry import Positional, Tool, agent_schemas, get_tool, load_all, run_tool, tool
from tools.results import ApprovalRequest, Chart, Table, ToolResult

__all__ = [
    "ApprovalRequest",
    "Chart",
    "Positional",
    "Progress",
    "Settings",
    "Table",
    "Tool",
    "ToolContext",
    "ToolResult",
    "agent_schemas",
    "get_tool",
    "load_all",
    "run_tool",
    "tool",
]
