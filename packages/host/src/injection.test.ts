import { afterEach, describe, expect, it } from "vitest";
import {
  ErrorCode,
  LifecycleToken,
  LoggerToken,
  NetworkStateToken,
  NicValidatorExtension,
  NicValidatorToken,
  all,
  defineToken,
  definePlugin,
  inject,
  injectAll,
  type Logger,
  type NetworkState,
  type NicValidator,
  type PluginDefinition,
  type PluginLifecycle,
  type StateStore,
} from "@incusx/sdk";
import { Host } from "./host.js";
import type { InlinePluginSource, LogRecord } from "./options.js";

let logs: LogRecord[] = [];
let hosts: Host[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
  logs = [];
});

function inline<C, S>(
  def: PluginDefinition<C, S>,
  extra: Record<string, unknown> = {},
  source: Partial<InlinePluginSource> = {},
): InlinePluginSource {
  return {
    plugin: definePlugin(def) as InlinePluginSource["plugin"],
    manifest: { id: def.id, apiVersions: ["1"], provides: ["nic-validator"], ...extra },
    ...source,
  };
}

function makeHost(plugins: InlinePluginSource[]): Host {
  const host = new Host({ plugins, services: { logSink: (r) => logs.push(r), stateStore } });
  hosts.push(host);
  return host;
}

// No plugin here keeps state; the host still hands each one a store.
const stateStore = (): StateStore => ({}) as StateStore;

const HelperToken = defineToken<{ readonly name: string }>("example.helper");
const NobodyToken = defineToken<string>("example.nobody");

// Where the current call was made from, frame by frame.
function callers(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  try {
    return new Error("where").stack ?? "";
  } finally {
    Error.stackTraceLimit = limit;
  }
}
// tsyringe 4's container class; its resolve() is on every stack it builds from.
const INSIDE_TSYRINGE_RESOLVE = /InternalDependencyContainer\.resolve \(.*tsyringe/;

class Recording implements NicValidator {
  static stacks: string[] = [];
  readonly nicTypes = ["bridged"];
  readonly keys = ["user.x"];
  constructor(
    @inject(LoggerToken) readonly logger: Logger,
    @injectAll(NobodyToken) readonly nobody: string[],
  ) {
    Recording.stacks.push(callers());
  }
  async validate() {
    return [];
  }
}

describe("tsyringe builds every contribution", () => {
  it("runs a contributed class's constructor inside tsyringe's container.resolve, once", async () => {
    Recording.stacks = [];
    const host = makeHost([inline({ id: "cls", register: (r) => r.contribute(NicValidatorExtension, Recording) })]);
    expect((await host.start()).ok).toBe(true);
    expect(Recording.stacks).toHaveLength(1);
    expect(Recording.stacks[0]).toMatch(INSIDE_TSYRINGE_RESOLVE);
    const [v] = host.resolveAll(NicValidatorToken) as Recording[];
    expect(v).toBeInstanceOf(Recording);
    // @injectAll of a token nobody registered is an empty array, not an error.
    expect(v!.nobody).toEqual([]);
    expect(host.resolveAll(NicValidatorToken)[0]).toBe(v);
    expect(Recording.stacks).toHaveLength(1);
  });

  it("runs useFactory and the deps form's create inside tsyringe's container.resolve", async () => {
    const stacks: string[] = [];
    const made = (keys: string[]): NicValidator => {
      stacks.push(callers());
      return { nicTypes: ["bridged"], keys, validate: async () => [] };
    };
    const host = makeHost([
      inline({
        id: "forms",
        register: (r) => {
          r.contribute(NicValidatorExtension, { useFactory: () => made(["user.f"]) });
          r.contribute(NicValidatorExtension, { deps: {}, create: () => made(["user.d"]) });
        },
      }),
    ]);
    expect((await host.start()).ok).toBe(true);
    expect(host.resolveAll(NicValidatorToken).map((v) => v.keys)).toEqual([["user.f"], ["user.d"]]);
    expect(stacks).toHaveLength(2);
    for (const stack of stacks) expect(stack).toMatch(INSIDE_TSYRINGE_RESOLVE);
  });

  it("hands the deps form its dependencies by name: a token, all(token), and the typed config", async () => {
    const state: NetworkState = { networks: async () => [], forwards: async () => [] } as unknown as NetworkState;
    const seen: unknown[] = [];
    const host = new Host({
      plugins: [
        inline<{ limit: number }, void>(
          {
            id: "deps",
            register: (r) =>
              r.contribute(NicValidatorExtension, {
                deps: { state: NetworkStateToken, config: r.configToken, nobody: all(NobodyToken), logger: LoggerToken },
                create: ({ state, config, nobody, logger }) => {
                  // Typed: config.limit is a number, nobody a string[].
                  const limit: number = config.limit;
                  const names: string[] = nobody;
                  seen.push(state, limit, names, typeof logger.info);
                  return { nicTypes: ["bridged"], keys: ["user.d"], validate: async () => [] };
                },
              }),
          },
          { configSchema: { type: "object", properties: { limit: { type: "integer", default: 7 } } } },
        ),
      ],
      services: { logSink: (r) => logs.push(r), stateStore, networkState: state },
    });
    hosts.push(host);
    expect((await host.start()).ok).toBe(true);
    expect(seen).toEqual([state, 7, [], "function"]);
  });

  it("names the dependency and the token a deps contribution could not resolve", async () => {
    const host = makeHost([
      inline({
        id: "missing",
        register: (r) => r.contribute(NicValidatorExtension, { deps: { name: NobodyToken }, create: () => ({}) as NicValidator }),
      }),
    ]);
    const report = await host.start();
    expect(report.plugins[0]!.error?.code).toBe(ErrorCode.PluginFailed);
    expect(report.plugins[0]!.error?.message).toMatch(
      /^Plugin "missing" failed to create its contributions: Cannot resolve dependency "name" \(example\.nobody\) of contribution missing: nic-validator #1: .*unregistered dependency token.*example\.nobody/,
    );
  });

  it("names the class, the parameter and the token a class contribution could not resolve", async () => {
    class Needy {
      constructor(@inject(NobodyToken) readonly name: string) {}
    }
    const host = makeHost([inline({ id: "needy", register: (r) => r.contribute(NicValidatorExtension, Needy as never) })]);
    const message = (await host.start()).plugins[0]!.error?.message;
    expect(message).toMatch(/^Plugin "needy" failed to create its contributions: .*position #0 of "Needy".*example\.nobody/s);
  });

  it("refuses what is not a contribution, and a deps map holding something else than tokens", async () => {
    const host = makeHost([
      inline({ id: "odd", register: (r) => r.contribute(NicValidatorExtension, { colour: "red" } as never) }),
      inline({ id: "bad-deps", register: (r) => r.contribute(NicValidatorExtension, { deps: { x: "state" }, create: () => ({}) } as never) }),
    ]);
    const report = await host.start();
    expect(report.plugins.map((p) => p.error?.message)).toEqual([
      'Plugin "odd" failed to create its contributions: Contribution odd: nic-validator #1 is not a class, { useValue }, { useFactory } or { deps, create }',
      'Plugin "bad-deps" failed to create its contributions: Dependency "x" of contribution bad-deps: nic-validator #1 is neither a token nor all(token)',
    ]);
  });

  it("gives a plugin's contributions the providers it registered with provide(), the last one winning, and no one else", async () => {
    class UsesHelper implements NicValidator {
      readonly nicTypes = ["bridged"];
      readonly keys = ["user.h"];
      constructor(@inject(HelperToken) readonly helper: { readonly name: string }) {}
      async validate() {
        return [];
      }
    }
    const host = makeHost([
      inline({
        id: "helped",
        register: (r) => {
          r.contribute(NicValidatorExtension, UsesHelper);
          r.provide(HelperToken, { useValue: { name: "real" } });
          r.provide(HelperToken, { deps: {}, create: () => ({ name: "seam" }) });
        },
      }),
      inline({
        id: "other",
        register: (r) => r.contribute(NicValidatorExtension, { deps: { helpers: all(HelperToken) }, create: ({ helpers }) => ({ nicTypes: [], keys: [], validate: async () => [], helpers }) as NicValidator }),
      }),
    ]);
    expect((await host.start()).ok).toBe(true);
    const [mine, theirs] = host.resolveAll(NicValidatorToken) as (NicValidator & { helper?: unknown; helpers?: unknown })[];
    expect(mine!.helper).toEqual({ name: "seam" });
    expect(theirs!.helpers).toEqual([]);
    expect(host.resolveAll(HelperToken)).toEqual([]);
  });

  it("refuses provide() of an extension point's token", async () => {
    const host = makeHost([inline({ id: "sneaky", register: (r) => r.provide(NicValidatorToken, { useValue: {} as NicValidator }) })]);
    expect((await host.start()).plugins[0]!.error?.message).toBe(
      'Plugin "sneaky" failed to register: Plugin "sneaky": extension.nic-validator is an extension point; use contribute()',
    );
  });
});

describe("plugin lifecycle", () => {
  it("hands stop what start returned", async () => {
    const stopped: unknown[] = [];
    const host = makeHost([
      inline({ id: "stateful", start: () => ({ subscription: "s1" }), stop: (_ctx, state) => void stopped.push(state) }),
      inline({ id: "async-state", start: async () => 42, stop: (_ctx, state) => void stopped.push(state) }),
      inline({ id: "stateless", stop: (_ctx, state) => void stopped.push(state) }),
    ]);
    await host.start();
    await host.stop();
    expect(stopped).toEqual([undefined, 42, { subscription: "s1" }]);
  });

  it("runs stop hooks after stop, newest first, and a failing hook is reported like a failing stop", async () => {
    const events: string[] = [];
    const hooked = (id: string, hooks: (lifecycle: PluginLifecycle) => void, extra: Partial<PluginDefinition> = {}) =>
      inline({
        id,
        register: (r) =>
          r.contribute(NicValidatorExtension, {
            deps: { lifecycle: LifecycleToken },
            create: ({ lifecycle }) => {
              hooks(lifecycle);
              return { nicTypes: [], keys: [], validate: async () => [] };
            },
          }),
        stop: () => void events.push(`stop ${id}`),
        ...extra,
      });
    const host = makeHost([
      hooked("a", (l) => {
        l.onStop(() => void events.push("a first"));
        l.onStop(async () => void events.push("a second"));
      }),
      hooked("b", (l) => {
        l.onStop(() => void events.push("b first"));
        l.onStop(() => {
          throw new Error("socket stuck");
        });
        l.onStop(() => {
          throw new Error("file stuck");
        });
      }),
    ]);
    await host.start();
    const report = await host.stop();
    expect(events).toEqual(["stop b", "b first", "stop a", "a second", "a first"]);
    expect(report.plugins.map((p) => [p.id, p.state, p.error?.message])).toEqual([
      ["b", "failed", 'Plugin "b" failed to stop: file stuck'],
      ["a", "stopped", undefined],
    ]);
    // The reported failure and the one it hides are both logged.
    const errors = logs.filter((l) => l.level === "error").map((l) => l.message);
    expect(errors).toHaveLength(2);
    expect(errors.some((m) => m.endsWith('failed to stop: socket stuck'))).toBe(true);
    expect(errors.some((m) => m.endsWith('failed to stop: file stuck'))).toBe(true);
  });

  it("runs the hooks when stop throws, and reports stop's failure", async () => {
    const events: string[] = [];
    const host = makeHost([
      inline({
        id: "s",
        register: (r) =>
          r.provide(HelperToken, {
            deps: { lifecycle: LifecycleToken },
            create: ({ lifecycle }) => (lifecycle.onStop(() => void events.push("hook")), { name: "h" }),
          }),
        start: (ctx) => void ctx.resolve(HelperToken),
        stop: () => {
          throw new Error("stop broke");
        },
      }),
    ]);
    await host.start();
    const [p] = (await host.stop()).plugins;
    expect(p!.error).toEqual({ code: ErrorCode.PluginFailed, message: 'Plugin "s" failed to stop: stop broke' });
    expect(events).toEqual(["hook"]);
  });

  it("bounds stop and its hooks by the stop timeout", async () => {
    const host = makeHost([
      inline(
        { id: "slow", start: (ctx) => void ctx.resolve(LifecycleToken).onStop(() => new Promise(() => {})) },
        {},
        { stopTimeoutMs: 30 },
      ),
    ]);
    await host.start();
    const [p] = (await host.stop()).plugins;
    expect(p!.error).toEqual({ code: ErrorCode.Timeout, message: 'Plugin "slow" did not finish stop within 30 ms' });
  });

  it("runs the hooks of a plugin that fails to start, and refuses hooks once stopped", async () => {
    const events: string[] = [];
    let lifecycle: PluginLifecycle | undefined;
    const host = makeHost([
      inline({
        id: "fails",
        start: (ctx) => {
          lifecycle = ctx.resolve(LifecycleToken);
          lifecycle.onStop(() => void events.push("released"));
          throw new Error("no socket");
        },
        stop: () => void events.push("stop"),
      }),
    ]);
    const report = await host.start();
    expect(report.plugins[0]!.error?.message).toBe('Plugin "fails" failed to start: no socket');
    expect(events).toEqual(["released"]);
    expect(() => lifecycle!.onStop(() => {})).toThrow('Plugin "fails" has stopped; onStop() can no longer register hooks');
  });

  it("gives each plugin its own lifecycle", async () => {
    const seen: PluginLifecycle[] = [];
    const host = makeHost([
      inline({ id: "one", start: (ctx) => void seen.push(ctx.resolve(LifecycleToken)) }),
      inline({ id: "two", start: (ctx) => void seen.push(ctx.resolve(LifecycleToken)) }),
    ]);
    await host.start();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(host.resolveAll(LifecycleToken)).toEqual([]);
  });
});
