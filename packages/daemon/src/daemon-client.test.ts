import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient } from "./daemon-client.js";

let dir: string;
let socket: string;
let server: Server;
let open: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "incusx-daemon-client-"));
  socket = join(dir, "s.sock");
  open = 0;
  server = createServer((_req, res) => {
    const body = JSON.stringify({ type: "sync", status: "Success", status_code: 200, metadata: [] });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
  server.on("connection", (connection) => {
    open++;
    connection.once("close", () => open--);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("DaemonClient", () => {
  it("with agent false, leaves no connection open once its answers came (a benchmark counts the daemon's fds)", async () => {
    const client = new DaemonClient(socket, { agent: false });
    expect(await Promise.all([client.list(), client.list(), client.list()])).toEqual([[], [], []]);
    // Kept alive, they would stay until the server's keep-alive timeout (5 s).
    await expect.poll(() => open, { timeout: 3_000, interval: 10 }).toBe(0);
  });
});
