import { ErrorCode, IncusxError, type NetworkState } from "@incusx/sdk";
import type { HostState } from "@incusx/sdk/host";

/**
 * A {@link NetworkState} that can say what it holds in the state-file
 * format (schemas/host-state.schema.json): the host's own providers (file,
 * live server, empty) can.
 */
interface DocumentedNetworkState extends NetworkState {
  /** What the host sees, as a host state file. */
  document(): Promise<HostState>;
}

/**
 * What `state` holds, in the state-file format: the one way both
 * `incusx state dump` and the daemon's `GET /1.0/state` produce it, so the
 * two print the same document for the same source. A source's failure is
 * its own typed error (`INVALID_CONFIG` for a bad file, `STATE_UNAVAILABLE`
 * for a server out of reach); a state given by an embedder without
 * `document()` is `STATE_UNAVAILABLE`.
 *
 * @example
 * const document = await hostStateDocument(new FileNetworkState("/var/lib/incusx/network-state.json"));
 */
export async function hostStateDocument(state: NetworkState): Promise<HostState> {
  const documented = state as Partial<DocumentedNetworkState>;
  if (typeof documented.document !== "function") {
    throw new IncusxError(ErrorCode.StateUnavailable, "The host's network state cannot be shown in the state-file format (it has no document())");
  }
  return documented.document.call(state);
}
