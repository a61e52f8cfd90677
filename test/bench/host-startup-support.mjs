// What the host start-up benches (host-startup, bundle-startup) share: the
// synthetic plugin packages they load (a small NIC validator with a config
// schema, like a real plugin's, so manifest reading, schema compilation and
// module loading are all timed) and the timing of whole Node processes.

import { spawnSync } from "node:child_process";

/**
 * A `--require` preload: every child reports the CPU time it used (user +
 * system) when it exits, which other load on the machine disturbs far less
 * than wall time.
 */
export const CPU_REPORT = `process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write("INCUSX_CPU_MS " + (u.user + u.system) / 1000 + "\\n"); });`;

/**
 * Runs `node --require cpuFile ...c.args` in `cwd` once: wall ms and the CPU
 * ms the child reported. Throws when it fails or reports no CPU time.
 */
export function timeNodeRun(c, { cwd, cpuFile }) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--require", cpuFile, ...c.args], { cwd, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${c.label} exited with status ${result.status}${result.stderr ? `: ${result.stderr.trim()}` : ""}`);
  }
  const cpu = /INCUSX_CPU_MS ([0-9.]+)/.exec(result.stderr ?? "");
  if (!cpu) throw new Error(`${c.label} did not report its CPU time`);
  return { ms, cpuMs: Number(cpu[1]) };
}

/**
 * Times every case `warmup + runs` times, interleaved and in a rotating
 * order so no case always runs right after another; the warm-up rounds are
 * dropped. Returns the samples by case name: `{ wall, cpu }`.
 */
export function timeInterleaved(cases, { runs, warmup, time }) {
  const wall = Object.fromEntries(cases.map((c) => [c.name, []]));
  const cpu = Object.fromEntries(cases.map((c) => [c.name, []]));
  console.log(`Timing ${cases.length} cases x ${runs} runs (+${warmup} warm-up), interleaved...`);
  for (let run = 0; run < warmup + runs; run++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(run + i) % cases.length];
      const t = time(c);
      if (run >= warmup) {
        wall[c.name].push(t.ms);
        cpu[c.name].push(t.cpuMs);
      }
    }
  }
  return { wall, cpu };
}

/** The median of `values`. */
export function medianOf(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** package.json of synthetic plugin `name` with id `id`. */
export function pluginPackageJson(name, id) {
  return {
    name: `@bench/${name}`,
    version: "1.0.0",
    type: "module",
    exports: { ".": "./index.js" },
    peerDependencies: { "@incusx/sdk": "*" },
    incusx: {
      id,
      apiVersions: ["1"],
      provides: ["nic-validator"],
      // A small config schema like a real plugin's, so its compilation is timed too.
      configSchema: {
        type: "object",
        additionalProperties: false,
        properties: { maxMtu: { type: "integer", minimum: 1280, maximum: 16384, default: 1500 } },
      },
    },
  };
}

/** index.js of synthetic plugin `id` (number `i`). */
export function pluginModule(id, i) {
  return `import { NicValidatorExtension, definePlugin } from "@incusx/sdk";

class Validator${i} {
  constructor(maxMtu) {
    this.nicTypes = ["bridged"];
    this.keys = ["user.bench${i}"];
    this.maxMtu = maxMtu;
  }
  async validate(nic) {
    const value = nic.config["user.bench${i}"];
    return value === undefined || Number(value) <= this.maxMtu
      ? []
      : [{ key: "user.bench${i}", value, message: \`Invalid value for device option "user.bench${i}": Must be at most \${this.maxMtu}\` }];
  }
}

export default definePlugin({
  id: ${JSON.stringify(id)},
  register(registrar) {
    const maxMtu = registrar.config.maxMtu;
    registrar.contribute(NicValidatorExtension, { useFactory: () => new Validator${i}(maxMtu) });
  },
});
`;
}
