import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { aptInstall, canUseAptGet } from './debian-packages';

/** Where the server classes come from, and how to run them. */
export interface ZooKeeperInstall {
  /** Entries for `java -cp`, in order. */
  classpath: string[];
  /** The java executable. */
  java: string;
  /** How it was found, for messages: "ZOOKEEPER_HOME=…", "Debian package", … */
  source: string;
}

/** No ZooKeeper server could be found or installed; the message says what to do. */
export class ZooKeeperNotFoundError extends Error {
  override readonly name = 'ZooKeeperNotFoundError';
}

const DEBIAN_JAR = '/usr/share/java/zookeeper.jar';
/** Debian's jar has no SLF4J binding; slf4j-simple (a dependency of it) gives the servers logs. */
const DEBIAN_LOG_BINDING = '/usr/share/java/slf4j-simple.jar';
/**
 * The jar's manifest leaves out netty-codec (same Debian package as the netty jars it names),
 * which the Netty connection factory of a TLS port needs: without it, every TLS connection
 * is closed at once (NoClassDefFoundError: ByteToMessageDecoder in the server's log).
 */
const DEBIAN_NETTY_CODEC = '/usr/share/java/netty-codec.jar';

const HOW_TO_INSTALL = [
  'Apache ZooKeeper 3.8 or newer (a Java 17 server) is needed. Either:',
  '  - on Debian/Ubuntu: sudo apt-get install -y --no-install-recommends zookeeper',
  '  - or unpack the binary distribution (apache-zookeeper-3.8.x-bin.tar.gz) and set',
  '    ZOOKEEPER_HOME to its folder (the one holding lib/), with java on PATH or JAVA_HOME set',
  '  - or set ZOOKEEPER_JAR to a zookeeper jar whose manifest (or ZOOKEEPER_CLASSPATH) lists its dependencies.',
].join('\n');

function findJava(env: NodeJS.ProcessEnv): string | null {
  if (env.JAVA_HOME) {
    const java = join(env.JAVA_HOME, 'bin', 'java');
    if (existsSync(java)) return java;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'java'))) return join(dir, 'java');
  }
  return null;
}

function jarsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => join(dir, f));
}

/**
 * Looks for an installed server, in this order: `ZOOKEEPER_HOME` (a distribution folder),
 * `ZOOKEEPER_JAR` (one jar, plus `ZOOKEEPER_CLASSPATH` if set), then Debian's package.
 * Returns null when there is none. Throws when an environment variable points at nothing,
 * since silently using another server would hide the mistake.
 */
export function findZooKeeper(env: NodeJS.ProcessEnv = process.env): ZooKeeperInstall | null {
  const java = findJava(env);
  let classpath: string[] | null = null;
  let source = '';
  if (env.ZOOKEEPER_HOME) {
    const jars = [...jarsIn(env.ZOOKEEPER_HOME), ...jarsIn(join(env.ZOOKEEPER_HOME, 'lib'))];
    if (!jars.some((j) => /zookeeper-[\d.]+\.jar$|zookeeper\.jar$/.test(j))) {
      throw new ZooKeeperNotFoundError(
        `ZOOKEEPER_HOME=${env.ZOOKEEPER_HOME} holds no zookeeper jar (looked in it and in its lib/).\n${HOW_TO_INSTALL}`,
      );
    }
    classpath = jars;
    source = `ZOOKEEPER_HOME=${env.ZOOKEEPER_HOME}`;
  } else if (env.ZOOKEEPER_JAR) {
    if (!existsSync(env.ZOOKEEPER_JAR)) {
      throw new ZooKeeperNotFoundError(
        `ZOOKEEPER_JAR=${env.ZOOKEEPER_JAR} does not exist.\n${HOW_TO_INSTALL}`,
      );
    }
    const extra = (env.ZOOKEEPER_CLASSPATH ?? '').split(delimiter).filter(Boolean);
    classpath = [env.ZOOKEEPER_JAR, ...extra];
    source = `ZOOKEEPER_JAR=${env.ZOOKEEPER_JAR}`;
  } else if (existsSync(DEBIAN_JAR)) {
    classpath = [DEBIAN_JAR, DEBIAN_LOG_BINDING, DEBIAN_NETTY_CODEC].filter(
      (jar) => jar === DEBIAN_JAR || existsSync(jar),
    );
    source = 'Debian package zookeeper';
  }
  if (classpath === null) return null;
  if (java === null) {
    throw new ZooKeeperNotFoundError(
      `ZooKeeper was found (${source}) but no java: install a Java 17 runtime ` +
        '(sudo apt-get install -y default-jre-headless) or set JAVA_HOME.',
    );
  }
  return { classpath, java, source };
}

/**
 * Finds the server, installing Debian's `zookeeper` package through apt-get when none is
 * there and apt-get can be used (as root). Otherwise throws ZooKeeperNotFoundError with what
 * to install. `log` receives progress lines (the install takes a few seconds to a minute).
 */
export function ensureZooKeeper(
  options: { install?: boolean; log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): ZooKeeperInstall {
  const { install = true, log = (line: string) => process.stderr.write(`${line}\n`) } = options;
  const env = options.env ?? process.env;
  const found = findZooKeeper(env);
  if (found) return found;
  if (!install) throw new ZooKeeperNotFoundError(`No ZooKeeper server found.\n${HOW_TO_INSTALL}`);
  if (!canUseAptGet()) {
    throw new ZooKeeperNotFoundError(
      'No ZooKeeper server found, and it cannot be installed from here (apt-get needs root).\n' +
        HOW_TO_INSTALL,
    );
  }
  log('ZooKeeper is not installed: installing Debian package zookeeper (needs a minute at most)…');
  if (!aptInstall(['zookeeper'], log)) {
    throw new ZooKeeperNotFoundError(
      `apt-get could not install zookeeper (see its output above).\n${HOW_TO_INSTALL}`,
    );
  }
  const installed = findZooKeeper(env);
  if (!installed) {
    throw new ZooKeeperNotFoundError(
      `apt-get installed zookeeper but ${DEBIAN_JAR} is still missing.\n${HOW_TO_INSTALL}`,
    );
  }
  log(`ZooKeeper installed (${installed.source}).`);
  return installed;
}
