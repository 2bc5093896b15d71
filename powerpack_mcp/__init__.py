"""powerpack-mcp: an MCP server for Plivo Powerpacks and their number pools."""

__version__ = "0.1.0"
