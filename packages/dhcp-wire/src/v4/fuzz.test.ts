import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";

// Long fuzz run, off by default: DHCPV4_FUZZ=1000000 pnpm exec vitest run packages/dhcp-wire/src/v4/fuzz.test.ts
// Random packets, random options after a real header, and mutated and
// truncated fixtures: each must throw DhcpDecodeError or decode and
// re-encode byte for byte.
const runs = Number(process.env.DHCPV4_FUZZ ?? 0);
const here = fileURLToPath(new URL(".", import.meta.url));

it.skipIf(!runs)(`fuzzes ${runs} inputs`, () => {
  const seeds = [join(here, "../fixtures/v4"), join(here, "__fixtures__/handmade")].flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .map((f) => Uint8Array.from(Buffer.from((JSON.parse(readFileSync(join(dir, f), "utf8")) as { hex: string }).hex, "hex")))
      : [],
  );
  let state = Number(process.env.DHCPV4_FUZZ_SEED ?? 12345) | 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const failures: string[] = [];
  let decoded = 0;
  for (let i = 0; i < runs && failures.length < 5; i++) {
    let p: Uint8Array;
    const seed = seeds[Math.floor(random() * seeds.length)]!;
    if (i % 4 === 0) {
      p = new Uint8Array(Math.floor(random() * 600));
      for (let k = 0; k < p.length; k++) p[k] = random() * 256;
    } else if (i % 4 === 1) {
      p = new Uint8Array(240 + Math.floor(random() * 400));
      p.set(seed.subarray(0, 240));
      for (let k = 240; k < p.length; k++) p[k] = random() < 0.3 ? 0 : random() * 256;
    } else {
      p = seed.slice();
      const n = 1 + Math.floor(random() * 8);
      for (let k = 0; k < n; k++) p[Math.floor(random() * p.length)] = random() * 256;
      if (i % 4 === 3) p = p.subarray(0, Math.floor(random() * (p.length + 1)));
    }
    const input = Buffer.from(p).toString("hex");
    try {
      const message = decodeDhcpv4(p);
      decoded++;
      const again = Buffer.from(encodeDhcpv4(message)).toString("hex");
      if (again !== input) failures.push(`re-encode differs: ${input}`);
    } catch (e) {
      if (!(e instanceof DhcpDecodeError)) failures.push(`${String(e)}: ${input}`);
    }
  }
  console.log(`DHCPv4 fuzz: ${runs} inputs, ${decoded} decoded, ${failures.length} failures`);
  expect(failures).toEqual([]);
});
