import { isAny, isBool, isInRange, isInt64, isOneOf, isUint32, isUint8 } from "./scalars.js";
import { table, type Case } from "./validator-table.test-helper.js";




table("isAny accepts everything", isAny, [
  ["", undefined],
  ["anything at all", undefined],
]);

table("isBool accepts Incus's boolean words in any case", isBool, [
  ...["true", "false", "yes", "no", "on", "off", "1", "0", "TRUE", "Yes", "oFF"].map((v): Case => [v, undefined]),
  ["", 'Invalid value for a boolean ""'],
  ["y", 'Invalid value for a boolean "y"'],
  ["2", 'Invalid value for a boolean "2"'],
  [" true", 'Invalid value for a boolean " true"'],
]);

table("isInt64 accepts signed 64-bit decimals", isInt64, [
  ["0", undefined],
  ["-42", undefined],
  ["+42", undefined],
  ["9223372036854775807", undefined],
  ["-9223372036854775808", undefined],
  ["9223372036854775808", 'Invalid value for an integer "9223372036854775808"'],
  ["", 'Invalid value for an integer ""'],
  ["1.5", 'Invalid value for an integer "1.5"'],
  ["0x10", 'Invalid value for an integer "0x10"'],
  [" 1", 'Invalid value for an integer " 1"'],
]);

table("isUint32 accepts unsigned 32-bit decimals, with Go's cause", isUint32, [
  ["0", undefined],
  ["4294967295", undefined],
  ["4294967296", 'Invalid value for uint32 "4294967296": strconv.ParseUint: parsing "4294967296": value out of range'],
  ["-1", 'Invalid value for uint32 "-1": strconv.ParseUint: parsing "-1": invalid syntax'],
  ["+1", 'Invalid value for uint32 "+1": strconv.ParseUint: parsing "+1": invalid syntax'],
  ["", 'Invalid value for uint32 "": strconv.ParseUint: parsing "": invalid syntax'],
  ["abc", 'Invalid value for uint32 "abc": strconv.ParseUint: parsing "abc": invalid syntax'],
]);

table("isUint8 accepts 0 to 255", isUint8, [
  ["0", undefined],
  ["255", undefined],
  ["256", 'Invalid value for an integer "256". Must be between 0 and 255'],
  ["-1", 'Invalid value for an integer "-1". Must be between 0 and 255'],
  ["x", 'Invalid value for an integer "x". Must be between 0 and 255'],
]);

table("isInRange accepts integers within both bounds", isInRange(-5, 10), [
  ["-5", undefined],
  ["0", undefined],
  ["10", undefined],
  ["11", "Value isn't within valid range. Must be between -5 and 10"],
  ["-6", "Value isn't within valid range. Must be between -5 and 10"],
  ["1.0", 'Invalid value for an integer "1.0"'],
  ["", 'Invalid value for an integer ""'],
]);

table("isInRange takes bigint bounds", isInRange(0n, 2n ** 40n), [
  ["1099511627776", undefined],
  ["1099511627777", "Value isn't within valid range. Must be between 0 and 1099511627776"],
]);

table("isOneOf accepts exactly the listed values", isOneOf("none", "sriov", "vdpa"), [
  ["none", undefined],
  ["vdpa", undefined],
  ["NONE", 'Invalid value "NONE" (not one of [none sriov vdpa])'],
  ["", 'Invalid value "" (not one of [none sriov vdpa])'],
]);

table("isOneOf() accepts nothing", isOneOf(), [["x", 'Invalid value "x" (not one of [])']]);
