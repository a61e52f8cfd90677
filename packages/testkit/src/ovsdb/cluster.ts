import { join } from "node:path";
import type { TestProcess } from "../netns/processes.js";
import { waitFor } from "../netns/wait.js";
import { OVN_NB_SCHEMA, freePort, makeTempDir, ovsdbServerArgs, runTool, startProcess, waitListening } from "./server.js";

/** One member of an {@link OvnTestCluster}. */
export interface OvnClusterMember {
  /** 0-based member index. */
  readonly index: number;
  /** Client port on 127.0.0.1. */
  readonly clientPort: number;
  /** Raft port on 127.0.0.1 (apart from client ports). */
  readonly raftPort: number;
  /** `tcp:127.0.0.1:clientPort`. */
  readonly connection: string;
  /** unixctl socket, for `ovs-appctl -t`. */
  readonly controlPath: string;
  /** Whether its ovsdb-server runs. */
  readonly running: boolean;
}

/** A running 3-member (by default) clustered NB on 127.0.0.1. */
export interface OvnTestCluster {
  /** Temp dir holding databases and logs. */
  readonly dir: string;
  /** Every member's client endpoint, comma-separated (an OVN connection string). */
  readonly connection: string;
  /** The members. */
  readonly members: readonly OvnClusterMember[];
  /** Index of the current leader, read with `cluster/status` from running members. */
  leader(): Promise<number>;
  /** `cluster/status OVN_Northbound` of one member. */
  status(index: number): Promise<string>;
  /** Kills a member's ovsdb-server with SIGKILL (a crash) and waits for it to be gone. */
  kill(index: number): Promise<void>;
  /** Restarts a killed member on the same files and ports, and waits until it is a cluster member again. */
  restart(index: number): Promise<void>;
  /** Runs `ovn-nbctl --db=... ...args` against the running members (or one member). */
  nbctl(args: readonly string[], member?: number): Promise<string>;
  /** Stops every member and removes the temp dir; harmless twice. */
  stop(): Promise<void>;
}

const DB = "OVN_Northbound";

/**
 * Starts a clustered NB (`ovsdb-tool create-cluster` / `join-cluster`) with
 * `size` members on 127.0.0.1, free ports chosen at runtime, and waits until
 * every member has joined and a leader is elected.
 *
 * @example
 * const cluster = await startOvnNorthboundCluster();
 * await cluster.kill(await cluster.leader());
 */
export async function startOvnNorthboundCluster(size = 3): Promise<OvnTestCluster> {
  const { dir, remove } = await makeTempDir("incusx-ovsdb-cluster-");
  const procs: (TestProcess | undefined)[] = [];
  const ports: { client: number; raft: number }[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const p of procs) await p?.kill();
      await remove();
    })());
  const members = (): OvnClusterMember[] =>
    ports.map((p, index) => ({
      index,
      clientPort: p.client,
      raftPort: p.raft,
      connection: `tcp:127.0.0.1:${p.client}`,
      controlPath: join(dir, `m${index}.ctl`),
      running: procs[index] !== undefined,
    }));
  const status = (index: number): Promise<string> =>
    runTool(["ovs-appctl", "-t", join(dir, `m${index}.ctl`), "cluster/status", DB], 5_000);
  const start = async (index: number): Promise<void> => {
    const p = ports[index]!;
    procs[index] = await startProcess(ovsdbServerArgs(dir, `m${index}`, join(dir, `m${index}.db`), [`ptcp:${p.client}:127.0.0.1`]), () =>
      waitListening({ port: p.client }, `cluster member ${index}`),
    );
  };
  const memberJoined = async (index: number): Promise<boolean> => {
    try {
      return /Status: cluster member/.test(await status(index));
    } catch {
      return false;
    }
  };
  const leader = async (): Promise<number> =>
    waitFor(
      async () => {
        for (let i = 0; i < ports.length; i++) {
          if (procs[i] === undefined) continue;
          try {
            if (/Role: leader/.test(await status(i))) return i + 1;
          } catch {
            // a member being killed or starting
          }
        }
        return 0;
      },
      { timeoutMs: 20_000, message: "No cluster leader elected" },
    ).then((i) => i - 1);
  try {
    for (let i = 0; i < size; i++) {
      let client = await freePort();
      let raft = await freePort();
      while (raft === client || ports.some((p) => [p.client, p.raft].includes(client) || [p.client, p.raft].includes(raft))) {
        client = await freePort();
        raft = await freePort();
      }
      ports.push({ client, raft });
    }
    const raftAddress = (i: number): string => `tcp:127.0.0.1:${ports[i]!.raft}`;
    await runTool(["ovsdb-tool", "create-cluster", join(dir, "m0.db"), OVN_NB_SCHEMA, raftAddress(0)]);
    for (let i = 1; i < size; i++) {
      await runTool(["ovsdb-tool", "join-cluster", join(dir, `m${i}.db`), DB, raftAddress(i), raftAddress(0)]);
    }
    for (let i = 0; i < size; i++) await start(i);
    for (let i = 0; i < size; i++) {
      await waitFor(() => memberJoined(i), { timeoutMs: 20_000, message: `Cluster member ${i} did not join` });
    }
    await leader();
    return {
      dir,
      get connection() {
        return members()
          .map((m) => m.connection)
          .join(",");
      },
      get members() {
        return members();
      },
      leader,
      status,
      async kill(index) {
        const proc = procs[index];
        if (proc === undefined) return;
        procs[index] = undefined;
        proc.child.kill("SIGKILL");
        await proc.exited();
      },
      async restart(index) {
        if (procs[index] !== undefined) return;
        await start(index);
        await waitFor(() => memberJoined(index), { timeoutMs: 20_000, message: `Cluster member ${index} did not rejoin` });
      },
      nbctl(args, member) {
        const running = members().filter((m) => m.running && (member === undefined || m.index === member));
        return runTool(["ovn-nbctl", "--no-leader-only", `--db=${running.map((m) => m.connection).join(",")}`, ...args]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
