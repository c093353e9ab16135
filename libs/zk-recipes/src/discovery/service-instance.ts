/** A registered instance of a service, as ServiceRegistry writes it and ServiceDiscovery reads it. */

/** A JSON value, for an instance's metadata. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a service instance registers. */
export interface ServiceInstanceSpec {
  /** The service's name: one node per service under the base path. A single path segment. */
  name: string;
  /** The instance's id, unique within the service; default a random UUID. */
  id?: string;
  address: string;
  port: number;
  metadata?: Record<string, JsonValue>;
}

/** A registered instance: the znode `<basePath>/<name>/<id>` holds it as JSON. */
export interface ServiceInstance {
  readonly name: string;
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** When the instance was registered (ms since the epoch). */
  readonly registeredAt: number;
}

/** A name or id that cannot be one path segment. */
export class InvalidServiceNameError extends Error {
  override readonly name = 'InvalidServiceNameError';
}

/** A znode in a service's folder whose data is not a service instance. */
export class InvalidServiceInstanceError extends Error {
  override readonly name = 'InvalidServiceInstanceError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} does not hold a service instance: ${reason}`);
  }
}

/** Throws InvalidServiceNameError unless `segment` can be one znode name. */
export function checkSegment(what: string, segment: string): void {
  if (segment === '' || segment === '.' || segment === '..' || segment.includes('/')) {
    throw new InvalidServiceNameError(
      `${what} ${JSON.stringify(segment)} is not a valid znode name`,
    );
  }
  for (const char of segment) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xf8ff)) {
      throw new InvalidServiceNameError(
        `${what} ${JSON.stringify(segment)} holds an illegal character`,
      );
    }
  }
}

export function encodeInstance(instance: ServiceInstance): Buffer {
  return Buffer.from(JSON.stringify(instance), 'utf8');
}

/** Parses an instance's znode data; InvalidServiceInstanceError when it is not one. */
export function decodeInstance(path: string, data: Buffer): ServiceInstance {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidServiceInstanceError(path, 'not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidServiceInstanceError(path, 'not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const { name, id, address, port, metadata, registeredAt } = record;
  if (typeof name !== 'string' || typeof id !== 'string' || typeof address !== 'string') {
    throw new InvalidServiceInstanceError(path, 'name, id and address must be strings');
  }
  if (typeof port !== 'number' || !Number.isInteger(port)) {
    throw new InvalidServiceInstanceError(path, 'port must be an integer');
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidServiceInstanceError(path, 'metadata must be an object');
  }
  if (typeof registeredAt !== 'number') {
    throw new InvalidServiceInstanceError(path, 'registeredAt must be a number');
  }
  return {
    name,
    id,
    address,
    port,
    metadata: metadata as Record<string, JsonValue>,
    registeredAt,
  };
}
