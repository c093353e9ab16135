// The official Java client's side of `npm run bench -- client` (see bench/README.md).
//
// Compiled at bench time with javac against the server's own jar (its manifest class path
// brings the client's dependencies), run with java -cp, and driven by bench/src/main.ts.
// It speaks the same line protocol as the Node drivers (bench/src/protocol.ts):
//   stdin: one command per round, "create N" or "multi N" (N = 0: the warm-up), then "quit";
//   stdout: one JSON object per line (info, ready, result, error, done);
//   stderr: progress lines for a person.
//
// Usage: java -cp <zookeeper.jar>:<build dir> ZkBench <connect> <creates> <multis> <window>
//        <dataBytes> <sessionTimeoutMs> <root>
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Version;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public final class ZkBench {
  private static final String CLIENT = "java";

  private ZkBench() {}

  /** Issues `total` asynchronous operations with at most `window` of them unanswered. */
  interface Issuer {
    /** Issues operation i; calls done.accept(rc, description) exactly once. */
    void issue(int i, BiConsumer<Integer, String> done);
  }

  static double pipelined(int total, int window, Issuer issuer) throws Exception {
    Semaphore slots = new Semaphore(window);
    CountDownLatch finished = new CountDownLatch(total);
    AtomicReference<String> failure = new AtomicReference<>();
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      slots.acquire();
      if (failure.get() != null) break;
      issuer.issue(
          i,
          (rc, what) -> {
            if (rc != KeeperException.Code.OK.intValue()) {
              failure.compareAndSet(
                  null, what + ": " + KeeperException.Code.get(rc) + " (" + rc + ")");
            }
            slots.release();
            finished.countDown();
          });
    }
    if (failure.get() == null && !finished.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("operations still unanswered after 10 minutes");
    }
    if (failure.get() != null) throw new IllegalStateException(failure.get());
    return (System.nanoTime() - start) / 1e6;
  }

  static double creates(ZooKeeper zk, String parent, int total, int window, byte[] data)
      throws Exception {
    zk.create(parent, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    return pipelined(
        total,
        window,
        (i, done) ->
            zk.create(
                parent + "/n-" + i,
                data,
                ZooDefs.Ids.OPEN_ACL_UNSAFE,
                CreateMode.PERSISTENT,
                (AsyncCallback.StringCallback) (rc, path, ctx, name) -> done.accept(rc, "create " + path),
                null));
  }

  /** Each transaction: create p (version 0), setData p at version 0, delete p at version 1. */
  static double multis(ZooKeeper zk, String parent, int total, int window, byte[] data)
      throws Exception {
    zk.create(parent, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    return pipelined(
        total,
        window,
        (i, done) -> {
          String path = parent + "/m-" + i;
          List<Op> ops =
              Arrays.asList(
                  Op.create(path, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                  Op.setData(path, data, 0),
                  Op.delete(path, 1));
          zk.multi(
              ops,
              (AsyncCallback.MultiCallback) (rc, p, ctx, results) -> done.accept(rc, "multi " + path),
              null);
        });
  }

  static void ensure(ZooKeeper zk, String path) throws Exception {
    StringBuilder prefix = new StringBuilder();
    for (String part : path.substring(1).split("/")) {
      prefix.append('/').append(part);
      try {
        zk.create(prefix.toString(), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // already there
      }
    }
  }

  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        default:
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
      }
    }
    return out.append('"').toString();
  }

  /** CPU time of this whole process (every thread: the client's, GC, JIT), in ns. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static void emit(String json) {
    System.out.println(json);
    System.out.flush();
  }

  static void progress(String line) {
    System.err.println("[bench " + CLIENT + "] " + line);
    System.err.flush();
  }

  /** Runs one round and reports it; round 0 is the warm-up, a quarter of the size. */
  static void round(ZooKeeper zk, String root, String metric, int round, int size, int window,
      byte[] data) {
    boolean warmup = round == 0;
    int total = warmup ? Math.max(1, size / 4) : size;
    String label = metric.equals("create") ? "creates" : "multis";
    String parent = root + "/" + metric + "-" + (warmup ? "warmup" : "r" + round);
    try {
      long cpuBefore = processCpuNanos();
      double ms =
          metric.equals("create")
              ? creates(zk, parent, total, window, data)
              : multis(zk, parent, total, window, data);
      double cpuMs = (processCpuNanos() - cpuBefore) / 1e6;
      emit(String.format(Locale.ROOT,
          "{\"type\":\"result\",\"metric\":%s,\"round\":%d,\"warmup\":%b,\"ops\":%d,\"ms\":%.3f,\"cpuMs\":%.3f}",
          quote(metric), round, warmup, total, ms, cpuMs));
      progress(String.format(Locale.ROOT, "%s %s: %d in %.0f ms = %.0f/s", label,
          warmup ? "warm-up" : "round " + round, total, ms, total / (ms / 1000.0)));
    } catch (Exception e) {
      emit("{\"type\":\"error\",\"metric\":" + quote(metric) + ",\"round\":" + round
          + ",\"message\":" + quote(String.valueOf(e)) + "}");
      progress(label + " round " + round + " failed: " + e);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println("usage: ZkBench <connect> <creates> <multis> <window> <dataBytes> "
          + "<sessionTimeoutMs> <root>, then commands on stdin: <create|multi> <round>, quit");
      System.exit(2);
    }
    String connect = args[0];
    int creates = Integer.parseInt(args[1]);
    int multis = Integer.parseInt(args[2]);
    int window = Integer.parseInt(args[3]);
    byte[] data = new byte[Integer.parseInt(args[4])];
    Arrays.fill(data, (byte) 'x');
    int sessionTimeoutMs = Integer.parseInt(args[5]);
    String root = args[6];

    // Debian's build leaves "-${mvngit.commit.id}, built on …" in the version: keep the number.
    String zkVersion = Version.getFullVersion().split("[-,]")[0];
    emit("{\"type\":\"info\",\"client\":\"java\",\"version\":"
        + quote("ZooKeeper Java client " + zkVersion + " (Java " + System.getProperty("java.version")
            + ")")
        + "}");

    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            connect,
            sessionTimeoutMs,
            event -> {
              if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
            });
    try {
      if (!connected.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("no session in 30 s");
      ensure(zk, root);
      emit("{\"type\":\"ready\"}");
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        String[] words = line.trim().split("\\s+");
        if (words[0].equals("quit")) break;
        int round = words.length == 2 ? Integer.parseInt(words[1]) : -1;
        if (round < 0 || !(words[0].equals("create") || words[0].equals("multi"))) {
          emit("{\"type\":\"error\",\"metric\":null,\"round\":null,\"message\":"
              + quote("bad command " + line) + "}");
          continue;
        }
        round(zk, root, words[0], round, words[0].equals("create") ? creates : multis, window, data);
      }
    } catch (Exception e) {
      emit("{\"type\":\"error\",\"metric\":null,\"round\":null,\"message\":"
          + quote(String.valueOf(e)) + "}");
      throw e;
    } finally {
      zk.close();
    }
    emit("{\"type\":\"done\"}");
    System.exit(0);
  }
}
