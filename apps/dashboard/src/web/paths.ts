/**
 * ZooKeeper path arithmetic for the page. parentPath, baseName and childPath are the same as
 * @zk-lab/zk-client's: the page cannot import that package, whose index pulls in Node's net and tls.
 */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The paths from `root` down to `path` (both included), or null when `path` is not under root. */
export function pathsDown(root: string, path: string): string[] | null {
  if (path !== root && !path.startsWith(root === '/' ? '/' : `${root}/`)) return null;
  const rest = path.slice(root === '/' ? 1 : root.length + 1);
  const out = [root];
  if (rest === '') return out;
  let at = root;
  for (const name of rest.split('/')) {
    at = childPath(at, name);
    out.push(at);
  }
  return out;
}

/** The ten-digit sequence number ZooKeeper appends to a sequential node's name, or null. */
export function sequenceOf(name: string): number | null {
  const m = /(\d{10})$/.exec(name);
  return m ? Number(m[1]) : null;
}
