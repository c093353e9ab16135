/**
 * Keys typed faster than a frame reach ink as one string: "jl", or "before-2\r" when a
 * filter and its Enter come together (a loaded machine does that; CI did). Ink names a key
 * (Enter, an arrow) only when it is the whole string, so such a string is split here into
 * the key presses it holds, each handled in turn.
 */
import type { KeyPress } from './top-screen';

const NO_KEY: KeyPress = {
  input: '',
  up: false,
  down: false,
  left: false,
  right: false,
  enter: false,
  escape: false,
  backspace: false,
  pageUp: false,
  pageDown: false,
  ctrl: false,
};

/** The escape sequences of the keys the view uses (xterm's, as tmux sends them). */
const SEQUENCES: [string, Partial<KeyPress>][] = [
  ['\x1b[A', { up: true }],
  ['\x1b[B', { down: true }],
  ['\x1b[C', { right: true }],
  ['\x1b[D', { left: true }],
  ['\x1bOA', { up: true }],
  ['\x1bOB', { down: true }],
  ['\x1bOC', { right: true }],
  ['\x1bOD', { left: true }],
  ['\x1b[5~', { pageUp: true }],
  ['\x1b[6~', { pageDown: true }],
];

/** The key presses in `input`, in order; other control characters are dropped. */
export function splitKeys(input: string): KeyPress[] {
  const keys: KeyPress[] = [];
  let at = 0;
  while (at < input.length) {
    const sequence = SEQUENCES.find(([text]) => input.startsWith(text, at));
    if (sequence !== undefined) {
      keys.push({ ...NO_KEY, ...sequence[1] });
      at += sequence[0].length;
      continue;
    }
    const char = input[at]!;
    at++;
    if (char === '\r' || char === '\n') keys.push({ ...NO_KEY, enter: true });
    else if (char === '\x7f' || char === '\b') keys.push({ ...NO_KEY, backspace: true });
    else if (char === '\x1b') keys.push({ ...NO_KEY, escape: true });
    else if (char.charCodeAt(0) >= 0x20) keys.push({ ...NO_KEY, input: char });
  }
  return keys;
}
