#!/usr/bin/env node
// Times decodeDhcpv4 on the issue 12 amplification packet: a 65 KB BOOTREPLY
// whose option 119 (split over RFC 3396 instances) is one 253-octet name and
// ~32,000 two-byte compression pointers to it. Unbounded, it decoded to
// ~32,000 names and ~8 M characters.
//
// Usage: node packages/dhcp-wire/scripts/pointer-bomb.mjs [DIST_INDEX_JS]   (needs `pnpm build`)
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");
const { decodeDhcpv4 } = await import(pathToFileURL(dist).href);

const list = [];
for (const length of [63, 63, 63, 61]) list.push(length, ...Array(length).fill(0x61));
list.push(0);
const instances = Math.floor((65_507 - 241) / 257);
while (list.length + 2 <= instances * 255) list.push(0xc0, 0x00);
const packet = [2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, ...Array(228).fill(0), 99, 130, 83, 99];
for (let at = 0; at < list.length; at += 255) {
  const chunk = list.slice(at, at + 255);
  packet.push(119, chunk.length, ...chunk);
}
packet.push(255);
const bytes = Uint8Array.from(packet);

console.log(`${bytes.length}-byte packet`);
for (let i = 0; i < 5; i++) {
  const started = process.hrtime.bigint();
  let outcome;
  try {
    const names = decodeDhcpv4(bytes).options.find((o) => o.code === 119).value;
    outcome = `${names.length} names, ${names.reduce((n, s) => n + s.length, 0)} characters`;
  } catch (e) {
    outcome = e.message;
  }
  console.log(`${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(2)} ms: ${outcome}`);
}
