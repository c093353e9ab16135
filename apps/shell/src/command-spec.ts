/** What a command is (its name, flags and help) and what it gets to run with. */
import type { ZkClient } from '@zk-lab/zk-client';
import type { FlagSpec, ParsedArgs } from './command-line';
import type { ShellOutput } from './shell-output';

export interface CommandSpec {
  name: string;
  aliases?: string[];
  /** The arguments after the name, for help: `[-l] [PATH]`. */
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** Positional arguments taken, at least and at most. */
  args: [min: number, max: number];
  /** It changes the tree: refused under --read-only. */
  writes?: boolean;
  /** It ends by itself on Ctrl+C (watch), quietly, instead of being cut off as interrupted. */
  endsOnInterrupt?: boolean;
  /** Tab completes a znode path for these positional arguments (0-based); all by default. */
  pathArgs?: number[];
  run(shell: ShellContext, args: ParsedArgs): Promise<void>;
}

/** The shell's state as commands see it. */
export interface ShellContext {
  readonly client: ZkClient;
  readonly out: ShellOutput;
  readonly connectString: string;
  /** Identities proven with addauth in this shell (scheme:user, never a password). */
  readonly identities: string[];
  /** True when a person can be asked (a terminal is attached). */
  readonly canAsk: boolean;
  /** Aborted by Ctrl+C while the command runs. */
  readonly signal: AbortSignal;
  cwd: string;
  /** A path argument resolved against the working node. */
  resolve(path: string | undefined): string;
  /** Asks a yes/no question; no is the default. */
  confirm(question: string): Promise<boolean>;
  /** Ends the shell after this command (quit). */
  requestExit(): void;
}
