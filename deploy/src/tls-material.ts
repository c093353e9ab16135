/**
 * The keys and certificates of a TLS ensemble, made at run time with the JDK's `keytool`
 * (nothing is checked in, nothing outlives its folder): a CA, one server identity that every
 * server presents, and client identities for the `x509` ACL scheme. Every certificate names
 * 127.0.0.1 and localhost, where the servers listen and the clients connect from.
 *
 * Files, all PKCS12 with one password (Java reads them as keystores, Node as `pfx`), and
 * the CA also as PEM (Node's `ca`):
 * - `ca.pem`: the CA's certificate;
 * - `truststore.p12`: the CA, the servers' trust store (client certificates);
 * - `server.p12`: the servers' key and certificate chain;
 * - `client-<name>.p12`: a client's key and certificate chain, subject `CN=<name>,O=zk-lab`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Long enough for any lab or test run; short enough that a leaked key is worthless. */
const VALIDITY_DAYS = 7;
const SUBJECT_ALT_NAMES = 'SAN=ip:127.0.0.1,dns:localhost';

export interface TlsMaterial {
  dir: string;
  /** The password of every keystore (made at random). */
  password: string;
  caPem: string;
  truststore: string;
  serverKeystore: string;
  /** The client identities made, by name. */
  clients: Record<string, string>;
}

/** The subject a client identity's certificate carries: what the x509 ACL scheme names. */
export function clientSubject(name: string): string {
  return `CN=${name},O=zk-lab`;
}

/** The `keytool` beside the `java` the servers run on, else the one on PATH. */
export function keytoolFor(java: string): string {
  try {
    const beside = join(dirname(realpathSync(java)), 'keytool');
    if (existsSync(beside)) return beside;
  } catch {
    // java is a bare command name: look on PATH
  }
  return 'keytool';
}

/** Makes the CA, the server identity and the named client identities in `dir`. */
export async function makeTlsMaterial(
  dir: string,
  options: { keytool: string; clients: readonly string[] },
): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  const password = randomBytes(12).toString('hex');
  const keytool = async (...args: string[]): Promise<string> => {
    try {
      return (await run(options.keytool, args, { maxBuffer: 1 << 20 })).stdout;
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(
        `keytool ${args[0]} failed: ${(stderr || stdout || String(error)).trim().split('\n')[0]}`,
      );
    }
  };
  const store = (file: string): string[] => [
    '-keystore',
    join(dir, file),
    '-storetype',
    'PKCS12',
    '-storepass',
    password,
  ];
  const keyPair = (alias: string, dname: string, file: string, extra: string[] = []) =>
    keytool(
      '-genkeypair',
      '-alias',
      alias,
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      dname,
      '-validity',
      String(VALIDITY_DAYS),
      '-keypass',
      password,
      ...extra,
      ...store(file),
    );

  await keyPair('ca', 'CN=zk-lab test CA', 'ca.p12', ['-ext', 'bc:c']);
  const caPem = join(dir, 'ca.pem');
  writeFileSync(caPem, await keytool('-exportcert', '-rfc', '-alias', 'ca', ...store('ca.p12')));

  /**
   * A key pair whose certificate the CA signs as it is made (`-signer`, two JVM starts in
   * all): in a copy of the CA's keystore, from which the CA's entry is then deleted.
   */
  const identity = async (alias: string, dname: string, file: string): Promise<string> => {
    copyFileSync(join(dir, 'ca.p12'), join(dir, file));
    await keyPair(alias, dname, file, [
      '-signer',
      'ca',
      '-signerkeypass',
      password,
      '-ext',
      SUBJECT_ALT_NAMES,
    ]);
    await keytool('-delete', '-alias', 'ca', ...store(file));
    return join(dir, file);
  };

  const [, serverKeystore, ...clientFiles] = await Promise.all([
    keytool('-importcert', '-noprompt', '-alias', 'ca', '-file', caPem, ...store('truststore.p12')),
    identity('server', 'CN=zk-lab server,O=zk-lab', 'server.p12'),
    ...options.clients.map((name) => identity(name, clientSubject(name), `client-${name}.p12`)),
  ]);
  return {
    dir,
    password,
    caPem,
    truststore: join(dir, 'truststore.p12'),
    serverKeystore: serverKeystore,
    clients: Object.fromEntries(options.clients.map((name, i) => [name, clientFiles[i]!])),
  };
}
