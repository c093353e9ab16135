/**
 * Draws the lines of `layoutScreen` with ink, full screen (the terminal's alternate screen),
 * and hands key presses back. Ink is ESM-only and its layout engine uses top-level await, so
 * it is loaded with a real `import()` (kept as such in this CommonJS build): nothing here can
 * be loaded under Jest, which is why everything else lives in plain modules.
 */
import * as React from 'react';
import type { Line } from './screen-layout';

export interface KeyPress {
  input: string;
  up: boolean;
  down: boolean;
  left: boolean;
  right: boolean;
  enter: boolean;
  escape: boolean;
  backspace: boolean;
  pageUp: boolean;
  pageDown: boolean;
  ctrl: boolean;
}

export interface TerminalScreen {
  draw(lines: Line[]): void;
  /** Leaves the alternate screen; resolves when ink has written its last frame. */
  close(): Promise<void>;
}

export async function openScreen(onKey: (key: KeyPress) => void): Promise<TerminalScreen> {
  const ink = await import('ink');
  const { Box, Text, useInput } = ink;
  const h = React.createElement;

  function Screen({ lines }: { lines: Line[] }): React.ReactElement {
    useInput((input, key) =>
      onKey({
        input,
        up: key.upArrow,
        down: key.downArrow,
        left: key.leftArrow,
        right: key.rightArrow,
        enter: key.return,
        escape: key.escape,
        backspace: key.backspace || key.delete,
        pageUp: key.pageUp,
        pageDown: key.pageDown,
        ctrl: key.ctrl,
      }),
    );
    return h(
      Box,
      { flexDirection: 'column' },
      lines.map((line, i) =>
        h(
          Text,
          { key: i, wrap: 'truncate' },
          line.map((segment, j) =>
            h(
              Text,
              {
                key: j,
                ...(segment.colour === undefined ? {} : { color: segment.colour }),
                inverse: segment.inverse === true,
                bold: segment.bold === true,
              },
              segment.text,
            ),
          ),
        ),
      ),
    );
  }

  const instance = ink.render(h(Screen, { lines: [] }), {
    exitOnCtrlC: false,
    patchConsole: false,
    // A TTY was checked before: in CI too, this is a terminal someone (or a test) looks at.
    interactive: true,
    alternateScreen: true,
    maxFps: 10,
    incrementalRendering: true,
  });
  return {
    draw(lines) {
      instance.rerender(h(Screen, { lines }));
    },
    async close() {
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
    },
  };
}
