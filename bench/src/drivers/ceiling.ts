/**
 * One process of the multi-process ceiling (pipeline.ts): runs measureCeiling with the
 * options in argv[2] (JSON) and prints its round as one JSON line on stdout.
 */
import { measureCeiling } from '../pipeline-ceiling';

async function main(): Promise<void> {
  const { options, round } = JSON.parse(process.argv[2] ?? '{}') as {
    options: Parameters<typeof measureCeiling>[0];
    round: number;
  };
  const result = await measureCeiling(options, round);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ceiling driver: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
