// @incusx/dhcp-client/testing: fakes for unit tests of DHCP client state
// machines and runners (no test runner dependency; pass `afterEach` where a
// hook is needed).

export { FakeSocketLink, RecordingTransport, ScriptedSocket } from "./transport.js";
export type { MessageCodec, SentMessage, SocketSend } from "./transport.js";
export { RunnerRuns, runClient, stoppedAfterEach } from "./runs.js";
export { serveEverySecond } from "./serve.js";
export { acceptanceTableRows } from "./acceptance-table.js";
export type { SteppedClock } from "./serve.js";
export type { ClientRun, RunnableClient, RunnerRun, StartedPerTest } from "./runs.js";
