// The codec's address text done with ipaddr.js, for address-parse.bench.mjs:
// the same five functions as packages/dhcp-wire/src/address-text.ts, with
// the same accepted syntax and messages, written as a switch to ipaddr.js
// would write them (no cache, no hand parsing). ipaddr.js itself is passed
// in: this file lives outside the package that depends on it.

/**
 * The address-text functions of @incusx/dhcp-wire backed by `ipaddr`
 * (the default export of ipaddr.js).
 */
export function ipaddrAddressText(ipaddr) {
  function ipv4Text(bytes, at) {
    return ipaddr.fromByteArray([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]).toString();
  }

  function writeIpv4(text, out, at) {
    if (typeof text !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(text)) return false;
    out.set(ipaddr.IPv4.parse(text).octets, at);
    return true;
  }

  function putIpv4(text, out, at, what) {
    if (!writeIpv4(text, out, at)) {
      throw new RangeError(`${what} "${String(text)}" is not an IPv4 address (like "192.0.2.1")`);
    }
  }

  function formatIpv6(bytes, at) {
    return ipaddr.fromByteArray(Array.from(bytes.subarray(at, at + 16))).toString();
  }

  // ipaddr.js reads a dotted tail as IPv4-mapped ("::192.0.2.1" becomes
  // ::ffff:c000:201) and accepts zones: both are turned away or rewritten
  // first, as @incusx/sdk's address module does.
  function writeIpv6(text, out, at, what) {
    let v6 = typeof text === "string" && !text.includes("%") ? text : undefined;
    const lastColon = v6?.lastIndexOf(":") ?? -1;
    if (v6 !== undefined && v6.slice(lastColon + 1).includes(".")) {
      const tail = v6.slice(lastColon + 1);
      if (lastColon < 0 || !ipaddr.IPv4.isValidFourPartDecimal(tail)) v6 = undefined;
      else {
        const [a, b, c, d] = ipaddr.IPv4.parse(tail).octets;
        v6 = `${v6.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
      }
    }
    if (v6 === undefined || v6.includes(".") || !ipaddr.IPv6.isValid(v6)) {
      throw new RangeError(`${what} "${String(text)}" is not an IPv6 address`);
    }
    out.set(ipaddr.IPv6.parse(v6).toByteArray(), at);
  }

  return { ipv4Text, writeIpv4, putIpv4, formatIpv6, writeIpv6 };
}
