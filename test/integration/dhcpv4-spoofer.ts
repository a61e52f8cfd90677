// Run in the server namespace by dhcpv4.test.ts (through the harness's
// spawnNode): a DHCPv4 "server" that answers every DISCOVER and REQUEST with
// forged replies first (wrong xid, wrong chaddr, wrong client identifier,
// each with other values), then the genuine one. Prints one JSON line per
// message it gets. Usage: dhcpv4-spoofer.ts IFACE
import {
  Dhcpv4MessageType,
  encodeDhcpv4,
  findDhcpv4Option,
  type Dhcpv4ClientIdentifier,
  type Dhcpv4Message,
  type Dhcpv4Option,
} from "@incusx/dhcp-wire";
import { openUdp4DeviceSocket } from "@incusx/linux-net";
import { onClientMessage } from "./dhcpv4-server-script.js";

const [iface] = process.argv.slice(2);
if (iface === undefined) throw new Error("Usage: dhcpv4-spoofer.ts IFACE");

const SERVER = "192.0.2.1";
const GENUINE = "192.0.2.77";
const socket = await openUdp4DeviceSocket({ iface, port: 67 });

type Forgery = "xid" | "chaddr" | "client-id" | "none";

function reply(request: Dhcpv4Message, type: number, yiaddr: string, forgery: Forgery, leaseTime: number, mask: string): Uint8Array {
  const chaddr = Uint8Array.from(request.chaddr);
  if (forgery === "chaddr") chaddr[chaddr.length - 1] ^= 0x01;
  const clientId = findDhcpv4Option(request, 61);
  const options: Dhcpv4Option[] = [
    { code: 53, value: type },
    { code: 54, value: SERVER },
  ];
  if (type !== Dhcpv4MessageType.Nak) {
    options.push({ code: 51, value: leaseTime }, { code: 1, value: mask });
  }
  if (clientId !== undefined && "value" in clientId) {
    options.push({ code: 61, value: forgery === "client-id" ? otherIdentifier(clientId.value) : clientId.value });
  }
  return encodeDhcpv4({
    op: 2,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: forgery === "xid" ? (request.xid + 1) >>> 0 : request.xid,
    secs: 0,
    broadcast: true,
    reservedFlags: 0,
    ciaddr: "0.0.0.0",
    yiaddr: type === Dhcpv4MessageType.Nak ? "0.0.0.0" : yiaddr,
    siaddr: SERVER,
    giaddr: "0.0.0.0",
    chaddr,
    sname: "",
    file: "",
    options,
  });
}

function otherIdentifier(id: Dhcpv4ClientIdentifier): Dhcpv4ClientIdentifier {
  if (id.form === "duid") return { ...id, iaid: (id.iaid ^ 1) >>> 0 };
  if (id.form === "hardware") return { ...id, address: Uint8Array.from(id.address, (b, i) => (i === 0 ? b ^ 1 : b)) };
  return { ...id, identifier: Uint8Array.from(id.identifier, (b, i) => (i === 0 ? b ^ 1 : b)) };
}

const send = (bytes: Uint8Array) => socket.send(bytes, "255.255.255.255", 68);

onClientMessage(socket, (message, type) => {
  void (async () => {
    if (type === Dhcpv4MessageType.Discover) {
      console.log(JSON.stringify({ got: "discover" }));
      const offer = (yiaddr: string, forgery: Forgery, lease: number) =>
        send(reply(message, Dhcpv4MessageType.Offer, yiaddr, forgery, lease, "255.255.255.0"));
      await offer("192.0.2.66", "xid", 60);
      await offer("192.0.2.67", "chaddr", 60);
      await offer("192.0.2.68", "client-id", 60);
      await offer(GENUINE, "none", 600);
    } else if (type === Dhcpv4MessageType.Request) {
      const requested = findDhcpv4Option(message, 50)?.value ?? message.ciaddr;
      console.log(JSON.stringify({ got: "request", requested }));
      // Forged NAKs would send the client back to DISCOVER, forged ACKs would bind other values.
      await send(reply(message, Dhcpv4MessageType.Nak, GENUINE, "xid", 0, ""));
      await send(reply(message, Dhcpv4MessageType.Ack, GENUINE, "chaddr", 9999, "255.255.0.0"));
      await send(reply(message, Dhcpv4MessageType.Nak, GENUINE, "client-id", 0, ""));
      await send(reply(message, Dhcpv4MessageType.Ack, GENUINE, "xid", 9999, "255.255.0.0"));
      await send(reply(message, Dhcpv4MessageType.Ack, GENUINE, "client-id", 9999, "255.255.0.0"));
      await send(reply(message, Dhcpv4MessageType.Ack, GENUINE, "none", 600, "255.255.255.0"));
    }
  })().catch((error: unknown) => console.log(JSON.stringify({ error: String(error) })));
});
console.log(JSON.stringify({ state: "listening" }));
