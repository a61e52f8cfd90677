import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nativeAddonStatus } from "./native-addon.js";
import { peerCredentials } from "./peer-credentials.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// One accepted connection on a fresh unix socket, and the client's end.
async function connection(): Promise<{ accepted: Socket; client: Socket; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "incusx-peercred-"));
  dirs.push(dir);
  const path = join(dir, "s.sock");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const client = connect(path);
  const socket = await accepted;
  return {
    accepted: socket,
    client,
    close: () => {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

describe.skipIf(!nativeAddonStatus().loaded)("peerCredentials", () => {
  it("reads the connecting process's pid, uid and gid from an accepted unix socket", async () => {
    const c = await connection();
    try {
      expect(peerCredentials(c.accepted)).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    } finally {
      c.close();
    }
  });

  it("throws a system error, never crashes, for an fd that is no connected socket or not open, and a RangeError for a bad fd", () => {
    expect(() => peerCredentials(0x7ffffff0)).toThrow(expect.objectContaining({ code: "EBADF" }));
    expect(() => peerCredentials(-1)).toThrow(RangeError);
    expect(() => peerCredentials(1.5)).toThrow(RangeError);
  });

  it("refuses a socket that has no fd (destroyed) with a TypeError", async () => {
    const c = await connection();
    c.close();
    expect(() => peerCredentials(c.accepted)).toThrow(TypeError);
  });
});
