#!/usr/bin/env node
// What tolerating invalid options (issue 18) costs the decoders: the
// tolerated messages of src/tolerance.test.ts against the same messages made
// valid, 64 invalid options, and a 65 KB datagram of them (refused at the
// 65th by DHCP_MAX_INVALID_OPTIONS). Medians of 7 alternating rounds.
//
// Usage: node packages/dhcp-wire/scripts/tolerance-cost.mjs [DIST_INDEX_JS]   (needs `pnpm build`)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, "..", "dist", "index.js");
const { decodeDhcpv4, decodeDhcpv6 } = await import(pathToFileURL(dist).href);
const { systemdDhcp6Reply } = await import(pathToFileURL(join(dirname(dist), "testing", "index.js")).href);

// The DHCPv4 fixture is a hex string constant in the test, with its origin.
const source = readFileSync(join(here, "..", "src", "tolerance.test.ts"), "utf8");
const fixture = (name) => {
  const text = source.match(new RegExp(`const ${name} =([\\s\\S]*?);\\n`))[1];
  return [...text.matchAll(/"([^"]*)"(?:\.repeat\((\d+)\))?/g)].map(([, s, n]) => s.repeat(n ? Number(n) : 1)).join("").replace(/\s+/g, "");
};
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const reply = Buffer.from(systemdDhcp6Reply()).toString("hex");
const ack = fixture("V4_SHORT_CLIENT_ID");
const cases = [
  ["DHCPv6 systemd msg_reply (Rapid Commit of 1 byte)", decodeDhcpv6, bytes(reply)],
  ["DHCPv6 systemd msg_reply, Rapid Commit made empty", decodeDhcpv6, bytes(reply.replace("000e000100", "000e0000"))],
  ["DHCPv4 ACK with a 1-byte client identifier", decodeDhcpv4, bytes(ack)],
  ["DHCPv4 the same ACK without it", decodeDhcpv4, bytes(ack.slice(0, -8) + "ff")],
  ["DHCPv6 Reply with 64 invalid options", decodeDhcpv6, bytes("07010203" + "00070000".repeat(64))],
  ["DHCPv6 65 KB of invalid options (refused)", decodeDhcpv6, bytes("07010203" + "00070000".repeat(16375))],
];
const time = (decode, input, n) => {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    try {
      decode(input);
    } catch {}
  }
  return ((performance.now() - started) * 1000) / n;
};
const rounds = cases.map(() => []);
for (let r = 0; r < 7; r++) cases.forEach(([, decode, input], i) => rounds[i].push(time(decode, input, 5000)));
cases.forEach(([name], i) => console.log(`${name}: ${rounds[i].sort((a, b) => a - b)[3].toFixed(1)} us per decode`));
