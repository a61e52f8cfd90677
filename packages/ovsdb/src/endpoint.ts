import { isIP } from "node:net";
import { OvsdbInvalidArgumentError } from "./errors.js";

/** Where one OVSDB server listens: a unix socket or a tcp port. */
export type OvsdbEndpoint =
  | { readonly kind: "unix"; readonly path: string; readonly text: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number; readonly text: string };

/**
 * Parses an OVN-style connection string: endpoints separated by commas,
 * each `unix:PATH` or `tcp:HOST:PORT` (`tcp:[::1]:6641` for IPv6). `ssl:`
 * is refused (not supported by this client).
 *
 * @example
 * parseEndpoints("unix:/run/ovn/ovnnb_db.sock,tcp:127.0.0.1:6641");
 */
export function parseEndpoints(connection: string): OvsdbEndpoint[] {
  const parts = connection
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) throw new OvsdbInvalidArgumentError(`Connection string "${connection}" names no endpoint`);
  return parts.map(parseEndpoint);
}

function parseEndpoint(text: string): OvsdbEndpoint {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (path === "") throw new OvsdbInvalidArgumentError(`Endpoint "${text}" has no socket path`);
    return { kind: "unix", path, text };
  }
  if (text.startsWith("tcp:")) {
    const rest = text.slice(4);
    let host: string;
    let portText: string;
    if (rest.startsWith("[")) {
      const close = rest.indexOf("]");
      if (close < 0 || rest[close + 1] !== ":") throw invalid(text);
      host = rest.slice(1, close);
      portText = rest.slice(close + 2);
      if (isIP(host) !== 6) throw invalid(text);
    } else {
      const colon = rest.lastIndexOf(":");
      if (colon <= 0) throw invalid(text);
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
      if (host.includes(":")) throw invalid(text);
    }
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw invalid(text);
    return { kind: "tcp", host, port, text };
  }
  throw new OvsdbInvalidArgumentError(
    `Endpoint "${text}" is not supported: use unix:PATH or tcp:HOST:PORT${text.startsWith("ssl:") ? " (ssl is not supported)" : ""}`,
  );
}

function invalid(text: string): OvsdbInvalidArgumentError {
  return new OvsdbInvalidArgumentError(`Endpoint "${text}" is not tcp:HOST:PORT (tcp:[IPv6]:PORT for IPv6)`);
}
