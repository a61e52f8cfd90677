// Shared by the DHCPv4 server scripts run in a test's server namespace
// (dhcpv4-spoofer.ts, dhcpv4-rogue-server.ts): the client messages a
// socket receives, decoded.
import { decodeDhcpv4, findDhcpv4Option, type Dhcpv4Message } from "@incusx/dhcp-wire";
import type { Udp4DeviceSocket } from "@incusx/linux-net";

/**
 * Calls `listener` with every BOOTREQUEST `socket` receives and its message
 * type (option 53); anything that does not decode is ignored.
 */
export function onClientMessage(socket: Pick<Udp4DeviceSocket, "onMessage">, listener: (message: Dhcpv4Message, type: number | undefined) => void): void {
  socket.onMessage((bytes) => {
    let message: Dhcpv4Message;
    try {
      message = decodeDhcpv4(bytes);
    } catch {
      return;
    }
    if (message.op === 1) listener(message, findDhcpv4Option(message, 53)?.value);
  });
}
