import { join } from "node:path";
import type { TestProcess } from "../netns/processes.js";
import { OVN_NB_SCHEMA, OVN_SB_SCHEMA, makeTempDir, ovsdbServerArgs, runTool, startProcess, waitListening } from "./server.js";

/** Options of {@link startOvnNorthbound}. */
export interface OvnNorthboundOptions {
  /** Also start a southbound database and `ovn-northd` (default false). */
  readonly northd?: boolean;
}

/** A running standalone NB database (and optionally SB + ovn-northd) in a temp dir. */
export interface OvnTestNorthbound {
  /** The temp dir holding databases, sockets and logs. */
  readonly dir: string;
  /** NB connection string (`unix:DIR/nb.sock`). */
  readonly connection: string;
  /** SB connection string, when started with `northd`. */
  readonly southbound: string | undefined;
  /** The NB ovsdb-server's unixctl socket, for `ovs-appctl -t`. */
  readonly controlPath: string;
  /** Runs `ovn-nbctl --db=NB ...args` and returns stdout; throws with stderr on failure. */
  nbctl(...args: string[]): Promise<string>;
  /** Runs `ovn-sbctl --db=SB ...args` (northd only). */
  sbctl(...args: string[]): Promise<string>;
  /** Runs `ovn-trace --db=SB ...args` on northd's logical flows (northd only). */
  trace(...args: string[]): Promise<string>;
  /**
   * Restarts the NB `ovsdb-server` on the same database file and socket
   * (its clients lose their connection; the rows stay) and resolves once it
   * accepts connections again.
   */
  restartNorthbound(): Promise<void>;
  /** Stops every process and removes the temp dir; harmless twice. */
  stop(): Promise<void>;
}

/**
 * Starts a real `ovsdb-server` with OVN's NB schema on a unix socket in a
 * temp dir (no root needed), optionally a SB database and `ovn-northd`.
 * Always call `stop()` (in `afterEach`/`finally`); a failed start cleans up itself.
 *
 * @example
 * const nb = await startOvnNorthbound();
 * await nb.nbctl("lr-add", "lr0");
 * const client = await OvsdbClient.connect(nb.connection);
 * await nb.stop();
 */
export async function startOvnNorthbound(options: OvnNorthboundOptions = {}): Promise<OvnTestNorthbound> {
  const { dir, remove } = await makeTempDir("incusx-ovsdb-");
  const processes: TestProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const p of processes.reverse()) await p.kill();
      await remove();
    })());
  try {
    const nbDb = join(dir, "nb.db");
    const nbSock = join(dir, "nb.sock");
    await runTool(["ovsdb-tool", "create", nbDb, OVN_NB_SCHEMA]);
    const startNb = (): Promise<TestProcess> =>
      startProcess(ovsdbServerArgs(dir, "nb", nbDb, [`punix:${nbSock}`]), () => waitListening({ path: nbSock }, "NB ovsdb-server"));
    // First in the list, so stop() ends it last: it is the database everything else talks to.
    processes.push(await startNb());
    let southbound: string | undefined;
    if (options.northd === true) {
      const sbDb = join(dir, "sb.db");
      const sbSock = join(dir, "sb.sock");
      await runTool(["ovsdb-tool", "create", sbDb, OVN_SB_SCHEMA]);
      processes.push(
        await startProcess(ovsdbServerArgs(dir, "sb", sbDb, [`punix:${sbSock}`]), () => waitListening({ path: sbSock }, "SB ovsdb-server")),
      );
      southbound = `unix:${sbSock}`;
      const northdCtl = join(dir, "northd.ctl");
      processes.push(
        await startProcess(
          [
            "ovn-northd",
            `--ovnnb-db=unix:${nbSock}`,
            `--ovnsb-db=${southbound}`,
            `--unixctl=${northdCtl}`,
            `--log-file=${join(dir, "northd.log")}`,
            `--pidfile=${join(dir, "northd.pid")}`,
            "--no-chdir",
            "-vconsole:off",
          ],
          () => waitListening({ path: northdCtl }, "ovn-northd"),
        ),
      );
    }
    const connection = `unix:${nbSock}`;
    return {
      dir,
      connection,
      southbound,
      controlPath: join(dir, "nb.ctl"),
      nbctl: (...args) => runTool(["ovn-nbctl", `--db=${connection}`, ...args]),
      sbctl: (...args) => {
        if (southbound === undefined) return Promise.reject(new Error("Started without northd: no southbound database"));
        return runTool(["ovn-sbctl", `--db=${southbound}`, ...args]);
      },
      trace: (...args) => {
        if (southbound === undefined) return Promise.reject(new Error("Started without northd: no southbound database"));
        return runTool(["ovn-trace", `--db=${southbound}`, ...args]);
      },
      restartNorthbound: async () => {
        await processes[0]!.kill();
        processes[0] = await startNb();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
