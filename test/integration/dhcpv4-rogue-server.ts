// Run in the server namespace by dhcpv4-renewal-storm.test.ts (through the
// harness's spawnNode): a DHCPv4 "server" that answers every DISCOVER and
// REQUEST at once with T1 = T2 = 0, a 2 s lease and 1000 classless static
// routes (option 121, RFC 3442; about 9 KB, split into 255-byte pieces as
// RFC 3396 long options by the encoder, the datagram fragmented by IP).
// Prints one JSON line when listening and then one per second:
// { discovers, requests } received so far. Usage: dhcpv4-rogue-server.ts IFACE
import { Dhcpv4MessageType, encodeDhcpv4, findDhcpv4Option, type Dhcpv4Message, type Dhcpv4Option } from "@incusx/dhcp-wire";
import { openUdp4DeviceSocket } from "@incusx/linux-net";
import { onClientMessage } from "./dhcpv4-server-script.js";

const [iface] = process.argv.slice(2);
if (iface === undefined) throw new Error("Usage: dhcpv4-rogue-server.ts IFACE");

const SERVER = "192.0.2.1";
const ADDRESS = "192.0.2.77";
/** Lease time the rogue server grants, in seconds. */
const ROGUE_LEASE_TIME = 2;
/** Classless static routes in every answer. */
const ROGUE_ROUTE_COUNT = 1000;

/**
 * 1000 distinct routes inside the documentation ranges 198.51.100.0/24 and
 * 203.0.113.0/24: every prefix of every length from /24 to /32 (511 per
 * range), through the server.
 */
function rogueRoutes(): { destination: string; prefixLength: number; router: string }[] {
  const routes: { destination: string; prefixLength: number; router: string }[] = [];
  for (const base of ["198.51.100", "203.0.113"]) {
    for (let prefixLength = 32; prefixLength >= 24; prefixLength--) {
      const step = 2 ** (32 - prefixLength);
      for (let host = 0; host < 256; host += step) routes.push({ destination: `${base}.${host}`, prefixLength, router: SERVER });
    }
  }
  return routes.slice(0, ROGUE_ROUTE_COUNT);
}

const ROUTES = rogueRoutes();
const socket = await openUdp4DeviceSocket({ iface, port: 67 });
const counts = { discovers: 0, requests: 0 };

function reply(request: Dhcpv4Message, type: number): Uint8Array {
  const options: Dhcpv4Option[] = [
    { code: 53, value: type },
    { code: 54, value: SERVER },
    { code: 51, value: ROGUE_LEASE_TIME },
    { code: 58, value: 0 },
    { code: 59, value: 0 },
    { code: 1, value: "255.255.255.0" },
    { code: 121, value: ROUTES },
  ];
  const clientId = findDhcpv4Option(request, 61);
  if (clientId !== undefined && "value" in clientId) options.push({ code: 61, value: clientId.value });
  return encodeDhcpv4({
    op: 2,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: request.xid,
    secs: 0,
    broadcast: true,
    reservedFlags: 0,
    ciaddr: request.ciaddr,
    yiaddr: ADDRESS,
    siaddr: SERVER,
    giaddr: "0.0.0.0",
    chaddr: Uint8Array.from(request.chaddr),
    sname: "",
    file: "",
    options,
  });
}

onClientMessage(socket, (message, type) => {
  if (type === Dhcpv4MessageType.Discover) {
    counts.discovers++;
    void socket.send(reply(message, Dhcpv4MessageType.Offer), "255.255.255.255", 68);
  } else if (type === Dhcpv4MessageType.Request) {
    counts.requests++;
    void socket.send(reply(message, Dhcpv4MessageType.Ack), "255.255.255.255", 68);
  }
});
console.log(JSON.stringify({ state: "listening", routes: ROUTES.length }));
setInterval(() => console.log(JSON.stringify(counts)), 1_000);
