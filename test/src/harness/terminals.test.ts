import { useTerminals } from './terminals';

describe('terminals (tmux)', () => {
  const terminals = useTerminals();

  it('types into a real terminal and reads its screen, and sees the command end', async () => {
    const term = await terminals.open(
      ['sh', '-c', 'printf "name? "; read x; echo "hello, $x"; sleep 0.5; exit 3'],
      {
        cols: 40,
        rows: 10,
      },
    );
    await term.waitForScreen('name?');
    await term.type('ada');
    await term.press('Enter');
    const screen = await term.waitForScreen('hello, ada');
    expect(screen).toMatch(/^name\? ada\nhello, ada\n/);
    expect(await term.waitForExit()).toBe(3);
  });

  it('fails with the screen it saw when the pattern never shows', async () => {
    const term = await terminals.open(['sh', '-c', 'echo something else; sleep 5']);
    await expect(term.waitForScreen('never there', 300)).rejects.toThrow(/something else/);
  });
});
