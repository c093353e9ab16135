/**
 * Where results go: as text for a person, or as one JSON value a line with --json. Errors
 * and notices go to stderr either way, so stdout stays parseable.
 */
export interface LineSink {
  out(text: string): void;
  err(text: string): void;
}

export const processSink: LineSink = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export class ShellOutput {
  constructor(
    private readonly sink: LineSink,
    readonly json: boolean,
  ) {}

  /** A command's result: `value` as JSON, or `text()` for a person. */
  result(value: unknown, text: () => string | string[]): void {
    if (this.json) {
      this.sink.out(JSON.stringify(value));
      return;
    }
    const lines = text();
    for (const line of Array.isArray(lines) ? lines : [lines]) this.sink.out(line);
  }

  /** A notice for a person (stderr): a connection change, a hint. */
  notice(text: string): void {
    this.sink.err(text);
  }

  error(text: string): void {
    this.sink.err(text);
  }
}
