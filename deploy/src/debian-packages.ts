import { spawnSync } from 'node:child_process';

/** A program the project needs is missing and could not be installed; the message says how. */
export class DebianPackageError extends Error {
  override readonly name = 'DebianPackageError';
}

/** True when this process may run apt-get (as root, with apt-get on the PATH). */
export function canUseAptGet(): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs apt-get non-interactively, its output on stderr; true when it succeeded. */
export function aptGet(args: string[], log: (line: string) => void): boolean {
  log(`$ apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 2, 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

/** Installs Debian packages, refreshing the package lists once if the first try fails. */
export function aptInstall(packages: string[], log: (line: string) => void): boolean {
  const args = ['install', '-y', '--no-install-recommends', ...packages];
  return aptGet(args, log) || (aptGet(['update'], log) && aptGet(args, log));
}

function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure `program` is on the PATH, installing Debian package `pkg` through apt-get when
 * it is missing and this runs as root; otherwise throws DebianPackageError saying what to
 * install. Returns at once when the program is there.
 */
export function ensureProgram(
  program: string,
  pkg: string,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): void {
  if (onPath(program)) return;
  const how = `install it: sudo apt-get install -y --no-install-recommends ${pkg}`;
  if (!canUseAptGet()) {
    throw new DebianPackageError(`${program} is missing and apt-get needs root here; ${how}`);
  }
  log(`${program} is not installed: installing Debian package ${pkg}…`);
  if (!aptInstall([pkg], log) || !onPath(program)) {
    throw new DebianPackageError(`apt-get could not install ${pkg} (see above); ${how}`);
  }
}
