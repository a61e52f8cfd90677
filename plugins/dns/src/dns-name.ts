// DNS names as they may appear in resolv.conf. Anything a DHCP server
// sends passes through here before it is written, so a hostile server
// cannot smuggle a newline, a space or a `#` into the file.

/** Longest name in presentation form without the trailing dot (RFC 1035: 255 octets on the wire). */
export const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
// Letters, digits and hyphens (RFC 1123), plus `_`, which real search
// domains carry (`_msdcs`); a label never starts or ends with a hyphen.
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/** A checked name: `name` when valid (trailing dot removed, case kept), else why not. */
export type DnsNameCheck = { readonly name: string } | { readonly problem: string };

/**
 * Checks `text` as a domain name for a `search` or `domain` line: labels
 * of 1 to 63 letters, digits, `-` or `_` (no leading or trailing `-`),
 * separated by single dots, at most 253 characters, an optional trailing
 * dot. Whitespace, control characters and anything else are problems.
 *
 * @example
 * checkDnsName("Example.NET.");        // { name: "Example.NET" }
 * checkDnsName("a.example\nnameserver 203.0.113.66"); // { problem: "contains a control character" }
 */
export function checkDnsName(text: string): DnsNameCheck {
  if (/[\u0000-\u001f\u007f]/.test(text)) return { problem: "contains a control character" };
  if (/\s/.test(text)) return { problem: "contains whitespace" };
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name === "") return { problem: "is empty (the root is not a search domain)" };
  if (name.length > MAX_NAME_LENGTH) return { problem: `is longer than ${MAX_NAME_LENGTH} characters` };
  for (const label of name.split(".")) {
    if (label === "") return { problem: "has an empty label" };
    if (label.length > MAX_LABEL_LENGTH) return { problem: `has a label longer than ${MAX_LABEL_LENGTH} characters` };
    if (!LABEL.test(label)) return { problem: `has an invalid label ${JSON.stringify(label)}` };
  }
  return { name };
}

/** Key two names compare equal under (DNS names are case-insensitive). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}
