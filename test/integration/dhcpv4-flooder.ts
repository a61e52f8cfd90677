// Run in the server namespace by dhcpv4-flood.test.ts (through the harness's
// spawnNode): floods the link with packets to the DHCPv4 client port, as
// anyone on a container's link could. Junk at JUNK_RATE packets/s (a third
// random bytes, a third BOOTREPLYs to random chaddrs, a third BOOTREPLYs to
// CHADDR with random xids) plus option 119 pointer bombs (65 KB, to CHADDR,
// random xid) at BOMB_RATE packets/s, broadcast to
// 255.255.255.255:68 from 192.0.2.1, for DURATION_MS. Prints
// {"started":true} once its sockets are bound, then every 250 ms and at the
// end one JSON line of cumulative counts of sends the kernel completed: {"ms","junk","bombs","errors"}.
// Usage: dhcpv4-flooder.ts DURATION_MS JUNK_RATE BOMB_RATE CHADDR (aa:bb:cc:dd:ee:ff)
import { createSocket, type Socket } from "node:dgram";
import { randomBytes, randomInt } from "node:crypto";
import { dhcpv4PointerBomb } from "@incusx/dhcp-wire/testing";

const [durationMs, junkRate, bombRate] = process.argv.slice(2, 5).map(Number);
const chaddr = Buffer.from((process.argv[5] ?? "").replaceAll(":", ""), "hex");
if (!(durationMs! > 0) || !(junkRate! >= 0) || !(bombRate! >= 0) || chaddr.length !== 6) {
  throw new Error("Usage: dhcpv4-flooder.ts DURATION_MS JUNK_RATE BOMB_RATE CHADDR");
}

const SERVER = "192.0.2.1"; // the test network's server address: the kernel picks veth-srv for the limited broadcast
const SOCKETS = 4;
let errors = 0;
const sockets: Socket[] = await Promise.all(
  Array.from({ length: SOCKETS }, async () => {
    const socket = createSocket({ type: "udp4", sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: SERVER, port: 0 }, () => resolve());
    });
    socket.setBroadcast(true);
    socket.on("error", () => errors++);
    return socket;
  }),
);

// Distinct junk, made once: random bytes of random length, and BOOTREPLYs
// (random xid, a valid cookie and options) to random chaddrs or to CHADDR.
const junk: Buffer[] = Array.from({ length: 1023 }, (_, i) => {
  if (i % 3 === 0) return randomBytes(randomInt(1, 600));
  const p = Buffer.alloc(300);
  p.set([2, 1, 6, 0]);
  randomBytes(4).copy(p, 4);
  (i % 3 === 1 ? randomBytes(6) : chaddr).copy(p, 28);
  p.set([99, 130, 83, 99, 53, 1, 2, 54, 4, 192, 0, 2, 1, 51, 4, 0, 0, 14, 16, 255], 236);
  return p;
});
const bombs: Buffer[] = Array.from({ length: 16 }, () => Buffer.from(dhcpv4PointerBomb(randomInt(0, 2 ** 32), chaddr)));

let sent = 0;
let bombsSent = 0;
// What the kernel took (send callbacks without error), not what was handed
// to send(): the achieved rate is measured, not owed.
let junkDone = 0;
let bombsDone = 0;
let failedSends = 0;
let finished = false;
const started = performance.now();
const report = () => console.log(JSON.stringify({ ms: Math.round(performance.now() - started), junk: junkDone, bombs: bombsDone, errors }));
const completed = (error: Error | null): boolean => {
  if (error) {
    errors++;
    failedSends++;
  }
  return !error;
};
const onJunkSent = (error: Error | null) => {
  if (completed(error)) junkDone++;
  closeWhenDone();
};
const onBombSent = (error: Error | null) => {
  if (completed(error)) bombsDone++;
  closeWhenDone();
};
// The last report comes when every send has completed, so it counts them all.
const closeWhenDone = () => {
  if (!finished || junkDone + bombsDone + failedSends < sent + bombsSent) return;
  finished = false;
  report();
  for (const socket of sockets) socket.close();
};
console.log(JSON.stringify({ started: true }));

let lastReport = 0;
// Sends what the rates owe at each tick, in batches across the sockets; a
// tick every few ms keeps the stream smooth at 20,000 packets/s.
const tick = () => {
  const elapsed = performance.now() - started;
  const now = Math.min(elapsed, durationMs!);
  const junkDue = Math.floor((junkRate! * now) / 1000);
  for (; sent < junkDue; sent++) sockets[sent % SOCKETS]!.send(junk[sent % junk.length]!, 68, "255.255.255.255", onJunkSent);
  const bombsDue = Math.floor((bombRate! * now) / 1000) + (bombRate! > 0 ? 1 : 0);
  for (; bombsSent < bombsDue; bombsSent++) sockets[bombsSent % SOCKETS]!.send(bombs[bombsSent % bombs.length]!, 68, "255.255.255.255", onBombSent);
  if (elapsed - lastReport >= 250) {
    lastReport = elapsed;
    report();
  }
  if (elapsed >= durationMs!) {
    finished = true;
    closeWhenDone();
    return;
  }
  setTimeout(tick, 2);
};
tick();
