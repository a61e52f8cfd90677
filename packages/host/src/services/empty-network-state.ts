import type { Network, NetworkForward, NetworkState, NicDevice } from "@incusx/sdk";
import type { HostState } from "@incusx/sdk/host";

/** The default {@link NetworkState} until a host state file is configured: knows nothing. */
export class EmptyNetworkState implements NetworkState {
  async networks(): Promise<readonly Network[]> {
    return [];
  }
  async network(): Promise<Network | undefined> {
    return undefined;
  }
  async forwards(): Promise<readonly NetworkForward[]> {
    return [];
  }
  async nics(): Promise<readonly NicDevice[]> {
    return [];
  }
  /** The empty state file. */
  async document(): Promise<HostState> {
    return {};
  }
}
