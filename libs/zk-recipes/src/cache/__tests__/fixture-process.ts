/**
 * A fixture process (libs/zk-recipes/fixtures/*.cjs) run with this Node: JSON lines in on
 * stdin, JSON lines out on stdout. Every process started here is remembered, so afterEach
 * or afterAll can SIGKILL the ones still alive, by pid, even when a test failed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Waitable } from './event-log';

const LIBRARY = join(__dirname, '..', '..', '..');
const BUILT = join(LIBRARY, 'dist', 'index.js');

/** A JSON line a fixture printed. */
export type FixtureLine = Record<string, unknown>;

const running = new Set<FixtureProcess>();

export class FixtureProcess {
  readonly lines = new Waitable<FixtureLine>();
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';

  /** Starts `fixtures/<name>.cjs` with `args`. Fails clearly when the library is not built. */
  constructor(name: string, args: readonly string[]) {
    if (!existsSync(BUILT)) {
      throw new Error(
        `${BUILT} is missing: the fixtures run the built library; run npm run build ` +
          '(npm test builds before jest)',
      );
    }
    this.child = spawn(process.execPath, [join(LIBRARY, 'fixtures', `${name}.cjs`), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        running.delete(this);
        resolve(code);
      });
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as FixtureLine);
      } catch {
        this.stderr += `(not JSON) ${line}\n`;
      }
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the fixture did not start');
    return this.child.pid;
  }

  send(command: FixtureLine): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** The first line that matches, waiting for it if need be; the fixture's stderr on timeout. */
  async line(
    what: string,
    match: (line: FixtureLine) => boolean,
    timeoutMs = 15_000,
  ): Promise<FixtureLine> {
    try {
      await this.lines.until(what, (lines) => lines.some(match), timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nfixture stderr:\n${this.stderr}`);
    }
    const found = this.lines.items.find(match);
    if (found === undefined) throw new Error(`no line for ${what}`);
    return found;
  }

  /** Sends a signal to this process (only ever this one, by pid) if it still runs. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** SIGKILLs every fixture process still running and waits for them to exit. */
export async function killAllFixtures(): Promise<void> {
  const alive = [...running];
  for (const fixture of alive) fixture.kill('SIGKILL');
  await Promise.all(alive.map((fixture) => fixture.exited));
}
