"""The MCP surface: one module per Plivo resource, each exporting its `TOOLS`."""

from . import pool, powerpacks
from .base import AppContext, ToolSpec

ALL_TOOLS: tuple[ToolSpec, ...] = (*powerpacks.TOOLS, *pool.TOOLS)

__all__ = ["ALL_TOOLS", "AppContext", "ToolSpec"]
