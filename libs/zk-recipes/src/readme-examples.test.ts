/**
 * Every TypeScript example of this library's README runs, as written, against the shared
 * ensemble: a README that no longer matches the library fails here. Each example gets the
 * `client` the README says it is given (chrooted to this file's own root, so the examples'
 * absolute paths do not meet other tests'), its imports from the packages themselves, and
 * a console that records what it prints. The block that makes the `client` is the one not
 * run: this test makes it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import * as zkClient from '@zk-lab/zk-client';
import * as zkRecipes from '../src';

const README = join(__dirname, '..', 'README.md');
const MODULES: Record<string, unknown> = {
  '@zk-lab/zk-client': zkClient,
  '@zk-lab/zk-recipes': zkRecipes,
};

interface Example {
  section: string;
  code: string;
}

/** The README's ```ts blocks, each with the section it is in. */
function examples(): Example[] {
  const found: Example[] = [];
  let section = '(top)';
  let code: string[] | null = null;
  for (const line of readFileSync(README, 'utf8').split('\n')) {
    if (code !== null) {
      if (line.startsWith('```')) {
        found.push({ section, code: code.join('\n') });
        code = null;
      } else code.push(line);
    } else if (line.startsWith('## ')) section = line.slice(3).trim();
    else if (line.trim() === '```ts') code = [];
  }
  return found;
}

/** The example as the body of an async function of (client, modules, console). */
function compile(code: string): string {
  const body = code.replace(
    /^import \{([^}]*)\} from '([^']+)';$/gm,
    (_, names: string, from: string) => `const {${names}} = modules[${JSON.stringify(from)}];`,
  );
  const wrapped = `(async (client, modules, console) => {\n${body}\n})`;
  return transformSync(wrapped, {
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    isModule: false,
  }).code;
}

describe('the README examples', () => {
  const root = testRoot();
  const all = examples();
  const runnable = all.filter((example) => !/const client = /.test(example.code));
  let admin: zkClient.ZkClient;

  beforeAll(async () => {
    admin = await zkClient.ZkClient.connect({ connectString: sharedConnectString() });
    await admin.ensurePath(root);
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await admin.close();
  });

  it('are found: one per recipe family, and the one that makes the client', () => {
    expect(all.length - runnable.length).toBe(1);
    expect(runnable.length).toBeGreaterThanOrEqual(7);
  });

  it.each(runnable.map((example) => [example.section, example] as const))(
    'runs the example of "%s"',
    async (_section, example) => {
      const client = await zkClient.ZkClient.connect({
        connectString: `${sharedConnectString()}${root}`,
        sessionTimeoutMs: 10_000,
      });
      const printed: unknown[][] = [];
      const console = {
        log: (...args: unknown[]) => printed.push(args),
        error: (...args: unknown[]) => printed.push(args),
      };
      try {
        const run = (0, eval)(compile(example.code)) as (
          client: zkClient.ZkClient,
          modules: Record<string, unknown>,
          console: unknown,
        ) => Promise<void>;
        await run(client, MODULES, console);
      } finally {
        await client.close();
      }
      // An example that prints shows what it prints.
      if (/console\.log\(/.test(example.code)) expect(printed.length).toBeGreaterThan(0);
    },
  );
});
