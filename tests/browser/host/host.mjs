// A minimal MCP Apps host for the browser test, doing what a real host does for a view:
// it calls a tool for "the model" (only tools the model may see), reads the tool's ui://
// resource, renders it in a sandboxed iframe, bridges it with the ext-apps AppBridge, and
// lets the view call only tools whose visibility includes "app". Every decision is logged
// in window.hostLog so the test can read it.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  AppBridge,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
  getToolUiResourceUri,
} from "@modelcontextprotocol/ext-apps/app-bridge";

const UI_EXTENSION = "io.modelcontextprotocol/ui";
const HOST_INFO = { name: "powerpack-mcp test host", version: "1.0.0" };
const hostLog = [];
const tools = new Map();
let client = null;
let bridge = null;

function log(entry) {
  hostLog.push(entry);
  console.log("[host]", JSON.stringify(entry));
}

function visibility(tool) {
  const ui = tool && tool._meta && tool._meta.ui;
  return (ui && Array.isArray(ui.visibility)) ? ui.visibility : ["model", "app"];
}

// era "modern" negotiates 2026-07-28 when the server offers it; "legacy" is a 2025-11-25 client.
async function connect(era = "modern") {
  const options = {
    capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
  };
  if (era === "modern") options.versionNegotiation = { mode: "auto" };
  client = new Client(HOST_INFO, options);
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", location.href)));
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    for (const tool of page.tools) tools.set(tool.name, tool);
    cursor = page.nextCursor;
  } while (cursor);
  const names = [...tools.values()];
  return {
    protocolVersion: client.getNegotiatedProtocolVersion(),
    model: names.filter((t) => visibility(t).includes("model")).map((t) => t.name),
    appOnly: names.filter((t) => !visibility(t).includes("model")).map((t) => t.name),
  };
}

// The host's duty (the SDK's bridge forwards anything): a view may call only app-visible tools.
async function callFromView(params) {
  const tool = tools.get(params.name);
  if (!tool || !visibility(tool).includes("app")) {
    log({ event: "refused", tool: params.name, why: tool ? "not visible to apps" : "unknown tool" });
    throw new Error(`the host refused: ${params.name} is not available to this view`);
  }
  log({ event: "view-call", tool: params.name });
  return client.callTool({ name: params.name, arguments: params.arguments || {} });
}

// Mounts a view in a fresh sandboxed frame; resolves once the view has initialized.
async function mount(mcpClient, html, theme, onCall) {
  if (bridge) {
    await bridge.teardownResource({}).catch(() => {});
    await bridge.close();
  }
  const frame = document.createElement("iframe");
  frame.id = "view";
  frame.setAttribute("sandbox", "allow-scripts allow-forms");
  document.getElementById("views").replaceChildren(frame);
  bridge = new AppBridge(mcpClient, HOST_INFO, { serverTools: {}, logging: {} }, {
    hostContext: { theme, platform: "web", displayMode: "inline", availableDisplayModes: ["inline"] },
  });
  bridge.onsizechange = ({ height }) => {
    if (typeof height === "number") frame.style.height = `${height}px`;
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = resolve;
  });
  // The frame's window exists once it is in the document; srcdoc only navigates it.
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  bridge.oncalltool = onCall;  // after connect(), which installs plain forwarding
  frame.srcdoc = html;
  await initialized;
}

async function render(name, args, theme = "light") {
  const tool = tools.get(name);
  if (!tool || !visibility(tool).includes("model")) {
    throw new Error(`${name} is not in the model's tool list`);
  }
  const uri = getToolUiResourceUri(tool);
  const result = await client.callTool({ name, arguments: args });
  log({ event: "model-call", tool: name, isError: Boolean(result.isError) });
  if (!uri) return { result, view: null };
  const resource = await client.readResource({ uri });
  const content = resource.contents.find((c) => c.mimeType === RESOURCE_MIME_TYPE);
  if (!content || typeof content.text !== "string") throw new Error(`no ${RESOURCE_MIME_TYPE} at ${uri}`);

  await mount(client, content.text, theme, (params) => callFromView(params));
  log({ event: "view-initialized", uri });
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
  return { result, view: uri };
}

// A view fed a canned tool result, with canned answers to its tool calls (no server):
// for the states a live server reaches only slowly (expired) or by a race (refused).
async function renderCanned(html, args, result, answers, theme) {
  await mount(null, html, theme, async (params) => {
    log({ event: "view-call", tool: params.name, arguments: params.arguments });
    const queued = answers[params.name];
    const answer = Array.isArray(queued) ? queued.shift() : queued;  // a list: one per call
    if (!answer) throw new Error(`the host refused: ${params.name} is not available to this view`);
    return answer;
  });
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
}

function setTheme(theme) {
  if (bridge) bridge.setHostContext({ theme });
}

window.testHost = { connect, render, renderCanned, setTheme, log: hostLog };
