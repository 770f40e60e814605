"""PromoPilot's capabilities, one module each, every one a registered tool (see `tools.registry`)."""

from tools.context import Progress, Settings, ToolContext
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
