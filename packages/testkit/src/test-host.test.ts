import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ClockToken,
  HostIdentityToken,
  LeaseEventStreamToken,
  LinkConfiguratorToken,
  NetworkStateToken,
  NicValidatorExtension,
  StateStoreToken,
  definePlugin,
  inject,
  type NetworkState,
  type NicDevice,
  type NicProblem,
  type NicValidator,
  type StateStore,
} from "@incusx/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { deriveManifest, startTestHost, type TestHost } from "./test-host.js";

// Owns `limits.network-check` on bridged NICs: the NIC's `network` must exist.
class NetworkExistsValidator implements NicValidator {
  readonly nicTypes = ["bridged"];
  readonly keys = ["limits.network-check"];
  constructor(@inject(NetworkStateToken) private readonly state: NetworkState) {}
  async validate(nic: NicDevice): Promise<NicProblem[]> {
    const name = nic.config["network"] ?? "";
    if (nic.config["limits.network-check"] !== "on" || (await this.state.network(name))) return [];
    return [{ key: "limits.network-check", value: "on", message: `Invalid value for device option "limits.network-check": Network "${name}" not found` }];
  }
}

const validatorPlugin = definePlugin({
  id: "test.network-exists",
  register(r) {
    r.contribute(NicValidatorExtension, NetworkExistsValidator);
  },
});

const bridged = (config: Record<string, string>): NicDevice => ({ instance: "c1", device: "eth0", type: "bridged", config });

let running: TestHost | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("startTestHost", () => {
  it("gives plugins the host identity: member test-member unless one is given", async () => {
    const seen: unknown[] = [];
    const plugin = definePlugin({ id: "test.identity", start: (context) => void seen.push(context.resolve(HostIdentityToken)) });
    running = await startTestHost({ plugins: [{ plugin }] });
    await running.stop();
    running = await startTestHost({ plugins: [{ plugin }], member: "node-b" });
    expect(seen).toEqual([{ member: "test-member" }, { member: "node-b" }]);
  });

  it("loads a plugin without a manifest and validates NICs through the real host", async () => {
    running = await startTestHost({
      plugins: [{ plugin: validatorPlugin }],
      services: { networkState: { networks: [{ name: "br0", type: "bridge", config: {} }] } },
    });
    expect(running.report.ok).toBe(true);
    expect(running.report.plugins.map((p) => [p.id, p.state])).toEqual([["test.network-exists", "started"]]);
    expect(await running.host.validateNic(bridged({ network: "br0", "limits.network-check": "on" }))).toEqual([]);
    const problems = await running.host.validateNic(bridged({ network: "br9", "limits.network-check": "on" }));
    expect(problems.map((p) => p.message)).toEqual([
      'Invalid value for device option "limits.network-check": Network "br9" not found',
    ]);
  });

  it("lets the test change network state between calls", async () => {
    running = await startTestHost({ plugins: [{ plugin: validatorPlugin }] });
    const nic = bridged({ network: "br1", "limits.network-check": "on" });
    expect(await running.host.validateNic(nic)).toHaveLength(1);
    running.networkState.addNetwork({ name: "br1", type: "bridge", config: {} });
    expect(await running.host.validateNic(nic)).toEqual([]);
  });

  it("wires the fakes as the host services, so the test drives time and reads back effects", async () => {
    let store: StateStore | undefined;
    const plugin = definePlugin({
      id: "test.ticker",
      start(ctx) {
        const clock = ctx.resolve(ClockToken);
        const link = ctx.resolve(LinkConfiguratorToken);
        const events = ctx.resolve(LeaseEventStreamToken);
        store = ctx.resolve(StateStoreToken);
        ctx.logger.info("Ticker started");
        clock.setTimer(60_000, () => {
          void link.setMtu("eth0", 1400);
          events.publish({ kind: "expired", family: "ipv4", interface: "eth0", at: clock.now() });
          void store!.set("ticks", 1);
        });
      },
    });
    running = await startTestHost({ plugins: [{ plugin }] });
    expect(running.logs.messages({ pluginId: "test.ticker" })).toEqual(["Ticker started"]);
    expect(running.logs.records[0]?.time).toBe(Date.UTC(2025, 0, 1));

    await running.clock.advance(60_000);
    expect((await running.link.snapshot("eth0")).mtu).toBe(1400);
    expect(running.leaseEvents.events.map((e) => e.kind)).toEqual(["expired"]);
    expect(running.stateStore("test.ticker")).toBe(store);
    expect(await running.stateStore("test.ticker").get("ticks")).toBe(1);
  });

  it("gives each plugin the state the test prepared for it", async () => {
    let seen: unknown;
    const plugin = definePlugin({
      id: "test.stateful",
      async start(ctx) {
        seen = await ctx.resolve(StateStoreToken).get("duid");
      },
    });
    running = await startTestHost({ plugins: [{ plugin }], services: { state: { "test.stateful": { duid: "0001" } } } });
    expect(seen).toBe("0001");
  });

  it("keeps state in files under stateDir, so a second host sees the first one's state", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "incusx-testkit-"));
    try {
      const plugin = definePlugin({
        id: "test.counter",
        async start(ctx) {
          const store = ctx.resolve(StateStoreToken);
          await store.set("starts", ((await store.get<number>("starts")) ?? 0) + 1);
        },
      });
      await (await startTestHost({ plugins: [{ plugin }], stateDir })).stop();
      running = await startTestHost({ plugins: [{ plugin }], stateDir });
      expect(await running.stateStore("test.counter").get("starts")).toBe(2);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it("rejects, naming the plugin and its error, when a plugin fails to start", async () => {
    const plugin = definePlugin({
      id: "test.broken",
      start() {
        throw new Error("cannot open socket");
      },
    });
    await expect(startTestHost({ plugins: [{ plugin }] })).rejects.toThrow(
      /test\.broken: failed \(PLUGIN_FAILED\) Plugin "test\.broken" failed to start: cannot open socket/,
    );
  });

  it("reports failures instead of rejecting when the test asks for it", async () => {
    const plugin = definePlugin({
      id: "test.broken",
      start() {
        throw new Error("cannot open socket");
      },
    });
    running = await startTestHost({
      plugins: [{ plugin, onFailure: "continue" }, { plugin: validatorPlugin }],
      allowFailures: true,
    });
    expect(running.report.ok).toBe(false);
    expect(running.report.plugins.find((p) => p.id === "test.broken")?.state).toBe("failed");
    expect(running.report.plugins.find((p) => p.id === "test.network-exists")?.state).toBe("started");
    expect(running.logs.find({ minLevel: "error" })).toHaveLength(1);
  });

  it("stops plugins once, however often stop is called", async () => {
    let stops = 0;
    const plugin = definePlugin({ id: "test.stoppable", stop: () => void stops++ });
    const t = await startTestHost({ plugins: [{ plugin }] });
    const first = await t.stop();
    expect(await t.stop()).toBe(first);
    expect(first.plugins.map((p) => [p.id, p.state])).toEqual([["test.stoppable", "stopped"]]);
    expect(stops).toBe(1);
  });

  it("reads the manifest and version from packageDir, checking config against its schema", async () => {
    const dir = await mkdtemp(join(tmpdir(), "incusx-testkit-pkg-"));
    try {
      await writeFile(
        join(dir, "package.json"),
        JSON.stringify({
          name: "@example/plugin",
          version: "1.2.3",
          incusx: {
            id: "test.network-exists",
            apiVersions: ["1"],
            provides: ["nic-validator"],
            configSchema: { type: "object", properties: { strict: { type: "boolean" } }, additionalProperties: false },
          },
        }),
      );
      running = await startTestHost({ plugins: [{ plugin: validatorPlugin, packageDir: dir, config: { strict: true } }] });
      expect(running.report.plugins[0]?.version).toBe("1.2.3");
      await running.stop();
      running = await startTestHost({
        plugins: [{ plugin: validatorPlugin, packageDir: dir, config: { strict: "yes" } }],
        allowFailures: true,
      });
      expect(running.report.plugins[0]?.error?.code).toBe("INVALID_CONFIG");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("deriveManifest", () => {
  it("derives id, API version and provides from what register contributes", () => {
    expect(deriveManifest(validatorPlugin)).toEqual({
      id: "test.network-exists",
      apiVersions: ["1"],
      provides: ["nic-validator"],
    });
  });

  it("still derives the id when register throws, leaving the error for the host to report", () => {
    const plugin = definePlugin({
      id: "test.throws",
      register() {
        throw new Error("bad");
      },
    });
    expect(deriveManifest(plugin)).toEqual({ id: "test.throws", apiVersions: ["1"], provides: [] });
  });
});
