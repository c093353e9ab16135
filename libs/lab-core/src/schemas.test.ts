import { DEFAULT_CONFIG, diffConfig, InvalidConfigError, parseConfig } from './config';
import {
  decode,
  encode,
  JobSpecSchema,
  PROTOCOL_VERSION,
  QueuedJobSchema,
  speaksProtocol,
  TaskSchema,
  WorkerInfoSchema,
} from './jobs';
import { InvalidCredentialsError, loadCredentials, namespaceAcls } from './credentials';

describe('job specs', () => {
  it('accepts each type with its payload', () => {
    for (const spec of [
      { type: 'echo', payload: { any: ['json', 1] } },
      { type: 'sleep', payload: { ms: 10 } },
      { type: 'cpu', payload: { ms: 10 } },
      { type: 'fail', payload: {} },
      { type: 'flaky', payload: { failureRate: 0.5 } },
    ]) {
      expect(JobSpecSchema.safeParse(spec).success).toBe(true);
    }
  });

  it('names the unknown type and the bad payload field', () => {
    const unknown = JobSpecSchema.safeParse({ type: 'teleport', payload: {} });
    expect(unknown.error?.issues[0]?.message).toMatch(
      /unknown job type "teleport"; known types: echo/,
    );
    const bad = JobSpecSchema.safeParse({ type: 'sleep', payload: { ms: -1 } });
    expect(bad.error?.issues[0]?.path).toEqual(['payload', 'ms']);
  });
});

describe('wire messages across versions', () => {
  const job = {
    id: '0f1e2d3c-aaaa-4bbb-8ccc-111122223333',
    type: 'echo',
    payload: 1,
    created: 0,
    attempt: 1,
  };

  it('an added field is kept, not refused; hand-backs default to none', () => {
    const task = { ...job, epoch: 1, worker: 'w1', workerSession: '0x1', assigned: 0 };
    const read = decode(TaskSchema, encode({ ...task, fromTheFuture: true }), 'task');
    expect(read).toMatchObject({ fromTheFuture: true, handBacks: [], failures: [] });
    const info = { id: 'w1', host: 'h', pid: 1, capacity: 2, started: 0, version: '9', x: 1 };
    expect(WorkerInfoSchema.safeParse(info).success).toBe(true);
  });

  it('a newer protocol parses but is not spoken', () => {
    const newer = decode(QueuedJobSchema, encode({ ...job, protocol: PROTOCOL_VERSION + 1 }), 'q');
    expect(speaksProtocol(newer)).toBe(false);
    expect(speaksProtocol(decode(QueuedJobSchema, encode(job), 'q'))).toBe(true);
  });

  it('a payload stays strict: it is what a user wrote', () => {
    expect(JobSpecSchema.safeParse({ type: 'sleep', payload: { ms: 1, extra: 2 } }).success).toBe(
      false,
    );
  });
});

describe('the config schema', () => {
  it('fills defaults and diffs', () => {
    const config = parseConfig('{"workerCapacity": 8}');
    expect(config).toEqual({ ...DEFAULT_CONFIG, workerCapacity: 8 });
    expect(diffConfig(DEFAULT_CONFIG, config)).toEqual({
      workerCapacity: { from: DEFAULT_CONFIG.workerCapacity, to: 8 },
    });
  });

  it('rejects unknown keys, bad values and non-JSON with every problem listed', () => {
    expect(() => parseConfig('{"workerCapacty": 8}')).toThrow(/workerCapacty/);
    expect(() => parseConfig('{"workerCapacity": 0, "maxAttempts": "3"}')).toThrow(
      /workerCapacity[\s\S]*maxAttempts/,
    );
    expect(() => parseConfig('{')).toThrow(InvalidConfigError);
  });
});

describe('credentials', () => {
  it('come from the environment, default to the lab identity, and never print the password', () => {
    const own = loadCredentials('producer', { ZK_PRODUCER_AUTH: 'svc:long-enough-secret' });
    expect(own).toMatchObject({ user: 'svc', isDefault: false });
    expect(JSON.stringify(own)).not.toContain('long-enough-secret');
    expect(loadCredentials('producer', {}).isDefault).toBe(true);
  });

  it('each role has an identity of its own; the old shared ZK_APP_AUTH is refused by name', () => {
    const users = (['master', 'worker', 'producer', 'admin'] as const).map(
      (role) => loadCredentials(role, {}).user,
    );
    expect(new Set(users).size).toBe(4);
    expect(() => loadCredentials('worker', { ZK_APP_AUTH: 'svc:long-enough-secret' })).toThrow(
      /ZK_APP_AUTH is invalid: the shared app identity is gone[\s\S]*ZK_WORKER_AUTH/,
    );
  });

  it('world READ only when ZK_WORLD_READ=1', () => {
    const world = (acl: { id: { scheme: string } }[]): boolean =>
      acl.some((entry) => entry.id.scheme === 'world');
    expect(world(namespaceAcls({}).job)).toBe(false);
    expect(world(namespaceAcls({}).config)).toBe(false);
    expect(world(namespaceAcls({ ZK_WORLD_READ: '1' }).job)).toBe(true);
  });

  it('refuse a malformed variable, naming it but not its value', () => {
    expect(() => loadCredentials('admin', { ZK_ADMIN_AUTH: 'nocolon' })).toThrow(
      InvalidCredentialsError,
    );
    expect(() => loadCredentials('admin', { ZK_ADMIN_AUTH: 'u:short' })).toThrow(/ZK_ADMIN_AUTH/);
  });

  it('name the other identity by its digest when its password is not here', () => {
    const admin = loadCredentials('admin', { ZK_ADMIN_AUTH: 'boss:boss-secret-1' }).id();
    const acls = namespaceAcls({ ZK_ADMIN_DIGEST: admin.id });
    expect(acls.config[0]?.id).toEqual(admin);
  });
});
