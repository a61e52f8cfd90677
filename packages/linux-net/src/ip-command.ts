import { execFile, spawn, type ChildProcess } from "node:child_process";
import { LinkError, linkErrorCodeFromStderr } from "./errors.js";
import { isNetnsRef, nsenterArgs, type NetnsRef } from "./netns.js";

/**
 * Where and how to run iproute2. The defaults run `ip` from PATH in the
 * caller's own network namespace, which is what production code wants
 * (`incusx forknet dhcp` has already entered the container's namespace).
 */
export interface IpOptions {
  /** The `ip` program; default `"ip"` from PATH. */
  readonly ipCommand?: string;
  /**
   * Work in this network namespace instead of the current one, without
   * moving the process:
   * - a string: a bare name (`ip -n NAME`) or a namespace file path
   *   (through `nsenter --net=PATH`), each call running `ip`;
   * - a {@link NetnsRef} (a `NetnsHandle` from `openNetns`, or any
   *   `{ path, fd }` of an open namespace): in-process over rtnetlink
   *   through the native addon, no `ip`, no `nsenter`; without the addon
   *   `ADDON_UNAVAILABLE` (never `ip` in the wrong namespace), with
   *   `ipCommand` `EINVAL`, a closed handle `EINVAL`.
   */
  readonly netns?: string | NetnsRef;
}

/**
 * The namespace held by fd that `options.netns` names, or `undefined` for
 * a name, a path or none. Throws a {@link LinkError} `EINVAL` when
 * `ipCommand` is given too: such a namespace is never worked in with `ip`.
 */
export function netnsRefOf(options: IpOptions): NetnsRef | undefined {
  if (!isNetnsRef(options.netns)) return undefined;
  if (options.ipCommand !== undefined) {
    throw new LinkError("EINVAL", `A network namespace held by fd ("${options.netns.path}") works over rtnetlink only: it cannot be combined with ipCommand`);
  }
  return options.netns;
}

/** The program and arguments that run `ip ARGS` per `options` (no shell). */
export function ipInvocation(args: readonly string[], options: IpOptions = {}): { command: string; args: string[] } {
  const ip = options.ipCommand ?? "ip";
  const netns = options.netns;
  if (isNetnsRef(netns)) throw new LinkError("EINVAL", `ip cannot run in a network namespace held by fd ("${netns.path}"); that works over rtnetlink only`);
  if (netns === undefined || netns === "") return { command: ip, args: [...args] };
  if (!netns.includes("/")) return { command: ip, args: ["-n", netns, ...args] };
  return nsenterArgs(netns, [ip, ...args]);
}

/** Longest interface name in bytes: IFNAMSIZ (16) less the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/**
 * Rejects names the kernel would never accept, before they reach `ip` or
 * the addon: empty, over 15 UTF-8 bytes (counted in bytes, as the kernel
 * does, so a 15-character name with an "é" is too long), or with
 * whitespace, `/`, `%`, `:` or a NUL (C would read a shorter name).
 */
export function assertInterfaceName(iface: string): void {
  if (!/^[^\s/%:\0]+$/.test(iface) || iface === "." || iface === "..") {
    throw new LinkError("EINVAL", `Invalid interface name "${iface}"`);
  }
  const bytes = Buffer.byteLength(iface);
  if (bytes > MAX_INTERFACE_NAME_BYTES) {
    throw new LinkError("EINVAL", `Invalid interface name "${iface}" (${bytes} bytes; at most ${MAX_INTERFACE_NAME_BYTES})`);
  }
}

/** Runs `ip ARGS` and resolves with its stdout; rejects with a {@link LinkError}. */
export function runIp(args: readonly string[], options: IpOptions = {}, what = "Failed to run ip"): Promise<string> {
  const { command, args: argv } = ipInvocation(args, options);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const line = [command, ...argv];
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(new LinkError("IP_NOT_FOUND", `${what}: Command "${command}" not found`, { command: line, cause: error }));
        return;
      }
      const text = stderr.trim() || error.message;
      reject(new LinkError(linkErrorCodeFromStderr(text), `${what}: ${firstLine(text)}`, { command: line, stderr, cause: error }));
    });
  });
}

/** Runs `ip -json ARGS` and parses its output; empty output is an empty list. */
export async function runIpJson<T>(args: readonly string[], options: IpOptions = {}, what?: string): Promise<T[]> {
  const stdout = await runIp(["-json", ...args], options, what);
  const text = stdout.trim();
  if (text === "") return [];
  try {
    return JSON.parse(text) as T[];
  } catch (cause) {
    throw new LinkError("IP_FAILED", `${what ?? "Failed to run ip"}: Unparsable JSON from "ip ${args.join(" ")}"`, { cause });
  }
}

/**
 * Starts `ip -o monitor OBJECTS` and calls `onEvent` for every line it
 * prints, so callers re-read state on change instead of polling. The
 * caller must `kill()` it.
 */
export function spawnIpMonitor(
  objects: readonly string[],
  options: IpOptions,
  onEvent: (line: string) => void,
  onExit: (error: Error | undefined) => void,
): ChildProcess {
  const { command, args } = ipInvocation(["-o", "monitor", ...objects], options);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let buffered = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      onEvent(line);
      newline = buffered.indexOf("\n");
    }
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  let reported = false;
  const report = (error: Error | undefined): void => {
    if (reported) return;
    reported = true;
    onExit(error);
  };
  child.on("error", (error) => report(error));
  child.on("exit", (code, signal) => {
    if (signal !== null || code === 0) report(undefined);
    else report(new LinkError(linkErrorCodeFromStderr(stderr), `ip monitor exited with code ${code}: ${firstLine(stderr)}`, { command: [command, ...args], stderr }));
  });
  return child;
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
