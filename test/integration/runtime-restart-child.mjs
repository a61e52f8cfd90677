// Child process of runtime-restart.test.ts (and of the restart benchmark):
// one host process running the network runtime of @incusx/host with the
// built DHCPv4 and DHCPv6 plugins on a state directory, as a resident host
// does. It stays in its own network namespace and serves NICs of others.
//
//   node runtime-restart-child.mjs STATE_DIR attach NICS_JSON   attach these NICs
//   node runtime-restart-child.mjs STATE_DIR restore            re-attach what the state directory holds
//
// Prints JSON lines on stdout: {"type":"ready"} once it works, {"type":
// "restored", ...} with restore()'s result, and after every lease event
// {"type":"state","at":EPOCH_MS,"nics":[...]} with each NIC's families and
// addresses. It runs until killed. Logs go to stderr as JSON lines.
import { createRequire } from "node:module";
import { Host, LeaseEventBus } from "@incusx/host";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import dhcpv6 from "@incusx/plugin-dhcpv6";

const [stateDir, mode, nicsJson] = process.argv.slice(2);
if (stateDir === undefined || (mode !== "attach" && mode !== "restore")) {
  process.stderr.write("usage: runtime-restart-child.mjs STATE_DIR attach NICS_JSON | restore\n");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const manifest = (name) => require(`@incusx/plugin-${name}/package.json`).incusx;
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const events = new LeaseEventBus();
const host = new Host({
  stateDir,
  defaults: { onFailure: "abort" },
  plugins: [
    { plugin: dhcpv4, manifest: manifest("dhcpv4") },
    { plugin: dhcpv6, manifest: manifest("dhcpv6") },
  ],
  services: { leaseEvents: events },
});
const report = await host.start();
if (!report.ok) {
  process.stderr.write(`${JSON.stringify(report)}\n`);
  process.exit(1);
}
const runtime = host.networkRuntime();
// The runtime publishes an event after it applied it and updated list(), so this is the state with it.
events.subscribe((event) => {
  say({
    type: "state",
    at: Date.now(),
    kind: event.kind,
    family: event.family,
    nics: runtime.list().map((nic) => ({
      instance: nic.instance,
      families: nic.families.map((f) => ({ family: f.family, state: f.state, addresses: (f.lease?.addresses ?? []).map((a) => a.address) })),
    })),
  });
});
say({ type: "ready", at: Date.now() });
if (mode === "restore") {
  const startedAt = Date.now();
  const result = await runtime.restore();
  say({ type: "restored", at: Date.now(), startedAt, result });
} else {
  await Promise.all(JSON.parse(nicsJson).map((nic) => runtime.attach(nic)));
  say({ type: "attached", at: Date.now() });
}
// Until killed: the runtime's timers keep the process alive only while a lease needs one.
setInterval(() => {}, 1 << 30);
