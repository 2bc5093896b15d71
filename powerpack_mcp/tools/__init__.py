"""The MCP surface: one module per Plivo resource, each exporting its `TOOLS`."""

from . import account_numbers, confirm, pool, powerpacks
from .base import AppContext, ToolSpec

ALL_TOOLS: tuple[ToolSpec, ...] = (
    *powerpacks.TOOLS,
    *pool.TOOLS,
    *account_numbers.TOOLS,
    *confirm.TOOLS,
)
#: Served whenever one of the tools it confirms for is: it is their card's way to act.
COMPANIONS = {"confirm_unrent": ("delete_powerpack", "remove_pool_number")}

__all__ = ["ALL_TOOLS", "COMPANIONS", "AppContext", "ToolSpec"]
