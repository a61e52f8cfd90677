// The public API of @incusx/dhcp-client: plumbing the DHCP runner plugins
// share (plugins never import each other): the clock-driven inbox their
// state machines wait on, the persisted client identity (DUID, IAID), and
// the admission queue that spreads many interfaces' first exchanges, and
// the screen that applies a family's table of tolerated invalid options.

export { AdmissionQueue, DEFAULT_ADMISSION_HOLD_MS } from "./admission.js";
export type { AdmissionQueueOptions, AdmissionSlot, ExchangeAdmission } from "./admission.js";
export { INBOX_MAX_MESSAGES, Inbox, MAX_TIMER_MS, receiveUntilAborted } from "./inbox.js";
export type { InboxEvent, MessageSource } from "./inbox.js";
export {
  ETHERNET_HARDWARE_TYPE,
  createDuid,
  decodeSharedDuid,
  duidFromHex,
  duidHex,
  iaidFor,
  loadOrCreateDuid,
  macBytes,
  storeKeyPart,
} from "./identity.js";
export type { StoredDuidOptions } from "./identity.js";
export { INVALID_OPTION_LOG_MAX_KEYS, InvalidOptionScreen } from "./invalid-options.js";
export type { InvalidOptionAction, InvalidOptionRule, InvalidOptionTable } from "./invalid-options.js";
export { closeQuietly, reportStartFailure, runnerConfig } from "./runner.js";
export type { StartFailure } from "./runner.js";
