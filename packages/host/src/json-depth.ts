// How deep a JSON text nests, found by scanning its characters: a
// document nested 100 000 levels parses, but everything recursive after
// the parse (JSON.stringify, structuredClone, a validator descending into
// it) then throws a bare RangeError. Checked before parsing, such a file
// is refused with a message that says what is wrong.

/**
 * Whether `text` nests arrays and objects deeper than `max` levels (the
 * outermost value is level 1). Brackets inside strings do not count. The
 * scan stops at the first level past `max`; text that is not JSON gives
 * some answer and is left to `JSON.parse` to refuse.
 *
 * @example
 * if (nestsDeeperThan(text, 64)) throw new InvalidConfigError(`${file}: nested deeper than 64 levels`);
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    switch (text[i]) {
      case '"':
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
        break;
      case "{":
      case "[":
        if (++depth > max) return true;
        break;
      case "}":
      case "]":
        depth--;
    }
  }
  return false;
}
