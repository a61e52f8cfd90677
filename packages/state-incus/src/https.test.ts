// The HTTPS option: a server that asks for a client certificate (as Incus
// on core.https_address does), certificates made by openssl for the test.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IncusNetworkState } from "./incus-network-state.js";
import { FakeIncus, untilState } from "./testing/index.js";

interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

let dir: string;
let fake: FakeIncus;
let server: KeyPair;
let client: KeyPair;
let stranger: KeyPair;

// A self-signed certificate (with 127.0.0.1 as its address, for the server's).
function selfSigned(name: string): KeyPair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
  ], { stdio: "ignore" });
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "incusx-https-"));
  server = selfSigned("server");
  client = selfSigned("client");
  stranger = selfSigned("stranger");
  fake = await FakeIncus.start(undefined, { tls: { ...server, ca: client.cert } });
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("IncusNetworkState over HTTPS", () => {
  it("reads the server and follows its events with a client certificate it trusts", async () => {
    const state = new IncusNetworkState({ url: fake.url, clientCert: client.cert, clientKey: client.key, serverCert: server.cert });
    try {
      await state.start();
      expect((await state.network("ovn0"))?.ovnRouter).toBe("incus-net1-lr");
      fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
      const gone = untilState(state, async () => !(await state.nics()).some((n) => n.instance === "c1"));
      fake.emit("instance-deleted", "/1.0/instances/c1");
      await gone;
    } finally {
      await state.close();
    }
  });

  it("a certificate the server does not trust, or a server it does not trust, is a connect error", async () => {
    const untrusted = new IncusNetworkState({ url: fake.url, clientCert: stranger.cert, clientKey: stranger.key, serverCert: server.cert });
    await expect(untrusted.networks()).rejects.toMatchObject({ code: "STATE_UNAVAILABLE", kind: "connect" });
    await untrusted.close();
    const wrongServer = new IncusNetworkState({ url: fake.url, clientCert: client.cert, clientKey: client.key, serverCert: stranger.cert });
    await expect(wrongServer.networks()).rejects.toMatchObject({ kind: "connect" });
    await wrongServer.close();
  });

  it("refuses HTTPS without a client certificate", () => {
    expect(() => new IncusNetworkState({ url: fake.url })).toThrow(/client certificate and key/);
  });
});
