import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ErrorCode,
  LoggerToken,
  NicValidatorExtension,
  NicValidatorToken,
  PluginConfigToken,
  StateStoreToken,
  definePlugin,
  inject,
  type Logger,
  type NicValidator,
  type PluginDefinition,
  type StateStore,
} from "@incusx/sdk";
import { Host } from "./host.js";
import type { InlinePluginSource, LogRecord } from "./options.js";
import type { PluginReport } from "./report.js";

const fixtures = fileURLToPath(new URL("../test/fixtures/", import.meta.url));

let stateDir: string;
let logs: LogRecord[];
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "incusx-host-"));
  logs = [];
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

function manifest(id: string, extra: Record<string, unknown> = {}) {
  return { id, apiVersions: ["1"], ...extra };
}

function inline(def: PluginDefinition, extra: Record<string, unknown> = {}, source: Partial<InlinePluginSource> = {}): InlinePluginSource {
  return { plugin: definePlugin(def), manifest: manifest(def.id, extra), ...source };
}

function makeHost(plugins: any[], options: Record<string, unknown> = {}) {
  return new Host({
    plugins,
    stateDir,
    baseDir: fixtures,
    services: { logSink: (r) => logs.push(r) },
    ...options,
  });
}

const byId = (plugins: readonly PluginReport[], id: string) => plugins.find((p) => p.id === id)!;

function validator(keys: string[]): NicValidator {
  return { nicTypes: ["bridged"], keys, validate: async () => [] };
}

describe("Host startup", () => {
  it("starts plugins after the plugins they require and stops them in reverse order", async () => {
    const events: string[] = [];
    const track = (id: string, requires: string[] = []) =>
      inline(
        { id, start: () => void events.push(`start ${id}`), stop: () => void events.push(`stop ${id}`) },
        { requires },
      );
    const host = makeHost([track("dns", ["dhcpv4", "dhcpv6"]), track("dhcpv4"), track("dhcpv6")]);
    const report = await host.start();
    expect(report.ok).toBe(true);
    expect(report.plugins.map((p) => [p.id, p.state])).toEqual([
      ["dhcpv4", "started"],
      ["dhcpv6", "started"],
      ["dns", "started"],
    ]);
    const stop = await host.stop();
    expect(stop.plugins.map((p) => p.id)).toEqual(["dns", "dhcpv6", "dhcpv4"]);
    expect(events).toEqual(["start dhcpv4", "start dhcpv6", "start dns", "stop dns", "stop dhcpv6", "stop dhcpv4"]);
  });

  it("collects contributions of every plugin under one token (multi-injection)", async () => {
    const a = validator(["user.a"]);
    const b = validator(["user.b"]);
    const host = makeHost([
      inline({ id: "a", register: (r) => r.contribute(NicValidatorExtension, { useValue: a }) }, { provides: ["nic-validator"] }),
      inline({ id: "b", register: (r) => r.contribute(NicValidatorExtension, { useValue: b }) }, { provides: ["nic-validator"] }),
    ]);
    await host.start();
    expect(host.resolveAll(NicValidatorToken)).toEqual([a, b]);
    await host.stop();
  });

  it("injects a plugin-scoped logger, state store and config into contributed classes", async () => {
    class Remembering implements NicValidator {
      readonly nicTypes = ["bridged"];
      readonly keys = ["user.x"];
      constructor(
        @inject(LoggerToken) readonly logger: Logger,
        @inject(StateStoreToken) readonly store: StateStore,
        @inject(PluginConfigToken) readonly config: unknown,
      ) {}
      async validate() {
        return [];
      }
    }
    const host = makeHost([
      inline(
        { id: "mem", register: (r) => r.contribute(NicValidatorExtension, Remembering) },
        { provides: ["nic-validator"], configSchema: { type: "object", properties: { limit: { type: "integer", default: 9 } } } },
      ),
    ]);
    await host.start();
    const [v] = host.resolveAll(NicValidatorToken) as Remembering[];
    expect(v!.config).toEqual({ limit: 9 });
    v!.logger.info("hello", { n: 1 });
    await v!.store.set("duid", "000100aa");
    expect(logs.find((l) => l.message === "hello")).toMatchObject({ pluginId: "mem", fields: { n: 1 } });
    expect(JSON.parse(await readFile(join(stateDir, "plugins", "mem", "duid.json"), "utf8"))).toBe("000100aa");
    await host.stop();
  });

  it("loads a plugin package by path, with its version and config defaults applied", async () => {
    const host = makeHost([{ module: "./plugin-greeter" }]);
    const report = await host.start();
    expect(report.plugins).toEqual([
      expect.objectContaining({ id: "fixture.greeter", version: "1.2.3", source: "./plugin-greeter", state: "started" }),
    ]);
    const problems = await host.resolveAll(NicValidatorToken)[0]!.validate({
      instance: "c1",
      device: "eth0",
      type: "bridged",
      config: { "user.greeting": "bye" },
    });
    expect(problems[0]?.message).toBe('Invalid value for device option "user.greeting": Must be "hello"');
    await host.stop();
  });
  it("lays pluginConfig over a plugin's own config, by plugin id, and checks the result", async () => {
    const host = makeHost([{ module: "./plugin-greeter", config: { greeting: "hi" } }], {
      pluginConfig: { "fixture.greeter": { greeting: "bye" }, "fixture.absent": { x: 1 } },
    });
    await host.start();
    const nic = { instance: "c1", device: "eth0", type: "bridged", config: { "user.greeting": "hi" } };
    const problems = await host.resolveAll(NicValidatorToken)[0]!.validate(nic);
    expect(problems[0]?.message).toBe('Invalid value for device option "user.greeting": Must be "bye"');
    await host.stop();

    const bad = makeHost([{ module: "./plugin-greeter" }], { pluginConfig: { "fixture.greeter": { greeting: 7 } } });
    const report = await bad.start();
    expect(report.plugins[0]).toMatchObject({ id: "fixture.greeter", error: { code: ErrorCode.InvalidConfig } });
    await bad.stop();
  });
});

describe("Host startup failures", () => {
  const healthy = () => inline({ id: "healthy" });

  async function failing(source: any, extra: Record<string, unknown> = {}) {
    const host = makeHost([source, healthy()], extra);
    const report = await host.start();
    await host.stop();
    expect(byId(report.plugins, "healthy").state).toBe("started");
    expect(report.ok).toBe(false);
    expect(report.aborted).toBe(false);
    return report.plugins.find((p) => p.id !== "healthy")!;
  }

  it("reports a bad manifest as INVALID_MANIFEST and starts the others", async () => {
    const p = await failing({ plugin: definePlugin({ id: "bad" }), manifest: { id: "bad", apiVersions: [] } });
    expect(p.state).toBe("failed");
    expect(p.error?.code).toBe(ErrorCode.InvalidManifest);
    expect(p.error?.message).toContain("apiVersions");
  });

  it("reports a package without an incusx field as INVALID_MANIFEST naming the file", async () => {
    const p = await failing({ module: "./not-a-plugin" });
    expect(p.error?.code).toBe(ErrorCode.InvalidManifest);
    expect(p.error?.message).toMatch(/not-a-plugin\/package\.json: no "incusx" field/);
  });

  it("reports a module that throws on import as LOAD_FAILED naming the plugin", async () => {
    const p = await failing({ module: "./plugin-broken-import" });
    expect(p).toMatchObject({ id: "fixture.broken-import", state: "failed", error: { code: ErrorCode.LoadFailed } });
    expect(p.error?.message).toContain("boom at import");
  });

  it("reports a package that cannot be found as LOAD_FAILED", async () => {
    const p = await failing({ module: "@nowhere/plugin-ghost" });
    expect(p.error?.code).toBe(ErrorCode.LoadFailed);
    expect(p.error?.message).toContain('"@nowhere/plugin-ghost" not found');
  });

  it("refuses a plugin speaking an unknown API version, naming both sides' versions", async () => {
    const p = await failing(inline({ id: "future" }, { apiVersions: ["2", "3"] }));
    expect(p.error).toEqual({
      code: ErrorCode.IncompatibleVersion,
      message: 'Plugin "future" speaks API version(s) "2", "3" but this host speaks "1"',
    });
  });

  it("refuses a plugin built with an SDK of an unknown API version", async () => {
    const plugin = { id: "old", [Symbol.for("incusx.plugin")]: { apiVersion: "0" } };
    const p = await failing({ plugin, manifest: manifest("old") });
    expect(p.error?.code).toBe(ErrorCode.IncompatibleVersion);
  });

  it("accepts a plugin branded by another copy of the SDK", async () => {
    const plugin = { id: "copy", [Symbol.for("incusx.plugin")]: { apiVersion: "1" } };
    const host = makeHost([{ plugin, manifest: manifest("copy") }]);
    expect((await host.start()).ok).toBe(true);
    await host.stop();
  });

  it("reports invalid plugin config as INVALID_CONFIG", async () => {
    const p = await failing({ module: "./plugin-greeter", config: { greeting: 7 } });
    expect(p).toMatchObject({ id: "fixture.greeter", error: { code: ErrorCode.InvalidConfig } });
    expect(p.error?.message).toContain("/greeting");
  });

  it("reports a throwing register as PLUGIN_FAILED", async () => {
    const p = await failing(inline({ id: "thrower", register: () => { throw new Error("no way"); } }));
    expect(p.error).toEqual({ code: ErrorCode.PluginFailed, message: 'Plugin "thrower" failed to register: no way' });
  });

  it("reports a rejecting start as PLUGIN_FAILED and keeps its contributions out", async () => {
    const host = makeHost([
      inline(
        {
          id: "rejecter",
          register: (r) => r.contribute(NicValidatorExtension, { useValue: validator(["user.r"]) }),
          start: async () => { throw new Error("socket gone"); },
        },
        { provides: ["nic-validator"] },
      ),
    ]);
    const report = await host.start();
    expect(report.plugins[0]!.error).toEqual({ code: ErrorCode.PluginFailed, message: 'Plugin "rejecter" failed to start: socket gone' });
    expect(host.resolveAll(NicValidatorToken)).toEqual([]);
    await host.stop();
  });

  it("reports a hanging start as TIMEOUT and aborts the plugin's signal", async () => {
    let signal: AbortSignal | undefined;
    const p = await failing(
      inline({ id: "hang", start: (ctx) => { signal = ctx.signal; return new Promise(() => {}); } }, {}, { startTimeoutMs: 30 }),
    );
    expect(p.error).toEqual({ code: ErrorCode.Timeout, message: 'Plugin "hang" did not finish start within 30 ms' });
    expect(signal?.aborted).toBe(true);
  });

  it("reports a missing requirement naming both plugins", async () => {
    const p = await failing(inline({ id: "dns" }, { requires: ["dhcpv9"] }));
    expect(p.error).toEqual({ code: ErrorCode.MissingRequirement, message: 'Plugin "dns" requires "dhcpv9", not loaded' });
  });

  it("reports a requirement on a failed plugin as MISSING_REQUIREMENT", async () => {
    const host = makeHost([
      inline({ id: "dns" }, { requires: ["dhcpv6"] }),
      inline({ id: "dhcpv6", start: () => { throw new Error("no socket"); } }),
    ]);
    const report = await host.start();
    expect(byId(report.plugins, "dns").error).toEqual({
      code: ErrorCode.MissingRequirement,
      message: 'Plugin "dns" requires "dhcpv6", which did not start',
    });
    await host.stop();
  });

  it("reports a requirement cycle naming every plugin on it", async () => {
    const host = makeHost([inline({ id: "a" }, { requires: ["b"] }), inline({ id: "b" }, { requires: ["a"] }), healthy()]);
    const report = await host.start();
    expect(byId(report.plugins, "a").error).toEqual({
      code: ErrorCode.RequirementCycle,
      message: "Plugins require each other in a cycle: a -> b -> a",
    });
    expect(byId(report.plugins, "b").error?.code).toBe(ErrorCode.RequirementCycle);
    expect(byId(report.plugins, "healthy").state).toBe("started");
    await host.stop();
  });

  it("reports two plugins with one id as DUPLICATE_PLUGIN", async () => {
    const host = makeHost([inline({ id: "twin" }), inline({ id: "twin" })]);
    const report = await host.start();
    expect(report.plugins.map((p) => p.state).sort()).toEqual(["failed", "started"]);
    expect(report.plugins.find((p) => p.state === "failed")!.error?.code).toBe(ErrorCode.DuplicatePlugin);
    await host.stop();
  });

  it("refuses a contribution to an extension point missing from provides", async () => {
    const p = await failing(
      inline({ id: "sneaky", register: (r) => r.contribute(NicValidatorExtension, { useValue: validator(["user.s"]) }) }),
    );
    expect(p.error).toEqual({
      code: ErrorCode.InvalidManifest,
      message: 'Plugin "sneaky" contributes to "nic-validator" but its manifest does not list it in "provides"',
    });
  });

  it("refuses a contributed class with a constructor parameter lacking @inject", async () => {
    class Undecorated {
      constructor(readonly logger: Logger) {}
    }
    const p = await failing(
      inline(
        { id: "undecorated", register: (r) => r.contribute(NicValidatorExtension, Undecorated as never) },
        { provides: ["nic-validator"] },
      ),
    );
    expect(p.error?.code).toBe(ErrorCode.PluginFailed);
    expect(p.error?.message).toBe(
      'Plugin "undecorated" failed to create its contributions: Constructor parameter 0 of class "Undecorated" has no @inject or @injectAll token',
    );
  });

  it("undoes startup when a plugin with policy abort fails", async () => {
    const events: string[] = [];
    const host = makeHost([
      inline({ id: "first", start: () => void events.push("start first"), stop: () => void events.push("stop first") }),
      inline({ id: "critical", start: () => { throw new Error("fatal"); } }, {}, { onFailure: "abort" }),
      inline({ id: "last", start: () => void events.push("start last") }),
    ]);
    const report = await host.start();
    expect(report).toMatchObject({ ok: false, aborted: true });
    expect(byId(report.plugins, "critical")).toMatchObject({ state: "failed", onFailure: "abort" });
    expect(byId(report.plugins, "first")).toMatchObject({ state: "stopped", error: { code: ErrorCode.Skipped } });
    expect(byId(report.plugins, "last")).toMatchObject({ state: "skipped", error: { code: ErrorCode.Skipped } });
    expect(events).toEqual(["start first", "stop first"]);
    expect((await host.stop()).plugins).toEqual([]);
  });

  it("reports a plugin whose stop throws, and still stops the others", async () => {
    const stopped: string[] = [];
    const host = makeHost([
      inline({ id: "a", stop: () => void stopped.push("a") }),
      inline({ id: "b", stop: () => { throw new Error("stuck"); } }),
    ]);
    await host.start();
    const report = await host.stop();
    expect(report.ok).toBe(false);
    expect(byId(report.plugins, "b").error?.code).toBe(ErrorCode.PluginFailed);
    expect(stopped).toEqual(["a"]);
  });

  it("reports a duration for every plugin", async () => {
    const host = makeHost([healthy(), inline({ id: "bad" }, { apiVersions: ["9"] })]);
    const report = await host.start();
    for (const p of report.plugins) expect(p.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    await host.stop();
  });
});

describe("Host NIC validation", () => {
  it("checks common keys, keys owned by plugins, and rejects unknown keys, all at once", async () => {
    const owner: NicValidator = {
      nicTypes: ["ovn"],
      keys: ["ipv4.address.external"],
      validate: async (nic) =>
        nic.config["ipv4.address.external"] === "198.51.100.9"
          ? []
          : [{ key: "ipv4.address.external", value: nic.config["ipv4.address.external"], message: 'Invalid value for device option "ipv4.address.external": Not a forward' }],
    };
    const host = makeHost([
      inline({ id: "ovn", register: (r) => r.contribute(NicValidatorExtension, { useValue: owner }) }, { provides: ["nic-validator"] }),
    ]);
    await host.start();
    const nic = (config: Record<string, string>) => ({ instance: "c1", device: "eth0", type: "ovn", config });
    expect(await host.validateNic(nic({ network: "ovn0", "ipv4.address.external": "198.51.100.9" }))).toEqual([]);
    const problems = await host.validateNic(nic({ "ipv4.address": "2001:db8::1", "ipv4.address.external": "192.0.2.1", bogus: "1" }));
    expect(problems.map((p) => p.key)).toEqual(["bogus", "ipv4.address", "ipv4.address.external"]);
    expect(problems[0]!.message).toBe('Invalid device option "bogus"');
    // The owned key is only known on the type its validator covers.
    const bridged = await host.validateNic({ ...nic({ "ipv4.address.external": "198.51.100.9" }), type: "bridged" });
    expect(bridged.map((p) => p.message)).toEqual(['Invalid device option "ipv4.address.external"']);
    await host.stop();
  });
});
