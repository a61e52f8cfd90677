// @incusx/state-incus/testing: a fake Incus-compatible server for tests of
// code that reads host state from one (hosts, embedders, this package).

export { FakeIncus, incusDataFromHostState, incusFixture, sync, error } from "./fake-incus.js";
export type { FakeIncusTls, IncusFixture, Override } from "./fake-incus.js";
export { untilState } from "./until.js";
