import { readFileSync } from "node:fs";

/** Which protocol's captures: DHCPv4 (`v4`) or DHCPv6 (`v6`). */
export type CaptureFamily = "v4" | "v6";

// Capture names are file names made by scripts/capture-fixtures.sh:
// `<client>-<nn>-<what>`; anything else (a path, `..`) is refused.
const NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;

/**
 * The bytes of one real DHCP message captured between a client (dhclient,
 * dhcpcd, udhcpc) and dnsmasq, shipped in this package's `src/fixtures`, so
 * a test can replay what real servers send.
 *
 * @example
 * const ack = decodeDhcpv4(capturedMessage("v4", "dhclient-04-ack"));
 *
 * @throws TypeError for a family other than `v4`/`v6` or a name that is not
 *   a capture file name; Error naming the file when there is no such capture.
 */
export function capturedMessage(family: CaptureFamily, name: string): Uint8Array {
  if (family !== "v4" && family !== "v6") throw new TypeError(`capturedMessage: family must be "v4" or "v6", got ${String(family)}`);
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(`capturedMessage: invalid capture name ${JSON.stringify(name)}`);
  }
  // From src/testing and from dist/testing alike: the captures ship in src only.
  const file = new URL(`../../src/fixtures/${family}/${name}.json`, import.meta.url);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`capturedMessage: no ${family} capture named "${name}" (${file.pathname})`, { cause: error });
  }
  const { hex } = JSON.parse(text) as { hex?: unknown };
  if (typeof hex !== "string") throw new Error(`capturedMessage: ${file.pathname} has no "hex" field`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
