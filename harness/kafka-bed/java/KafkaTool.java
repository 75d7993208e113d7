// kafka-bed's Kafka helper: Kafka's own Java clients (from lib/broker) driven
// through Java 17's single-file source launcher:
//
//   java -cp 'harness/kafka-bed/lib/broker/*' harness/kafka-bed/java/KafkaTool.java <cmd> [--opt value]...
//
// Every command prints JSON lines on stdout (logs go to stderr) and exits 0 on
// success, 1 with {"error": "..."} on stdout otherwise. Byte fields (keys,
// values, header values) are hex-encoded so binary data survives the trip.
// The Rust side is harness/kafka-bed/src/tool.rs.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class KafkaTool {
  static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      fail("usage: KafkaTool <command> [--opt value]...");
    }
    String cmd = argv[0];
    Opts o = new Opts(Arrays.copyOfRange(argv, 1, argv.length));
    try {
      switch (cmd) {
        case "produce" -> produce(o);
        case "probe" -> probe(o);
        case "consume" -> consume(o);
        case "consume-group" -> consumeGroup(o);
        case "create-topic" -> createTopic(o);
        case "list-topics" -> listTopics(o);
        case "describe-topic" -> describeTopic(o);
        case "describe-topic-config" -> describeTopicConfig(o);
        case "alter-topic-config" -> alterTopicConfig(o);
        case "commit-offsets" -> commitOffsets(o);
        case "group-offsets" -> groupOffsets(o);
        case "acl-add" -> aclAdd(o);
        case "acl-remove" -> aclRemove(o);
        case "acl-list" -> aclList(o);
        case "scram-upsert" -> scramUpsert(o);
        case "provision" -> provision(o);
        case "pem-to-pkcs12" -> pemToPkcs12(o);
        default -> fail("unknown command " + cmd);
      }
    } catch (ExecutionException e) {
      fail(cmd + ": " + e.getCause());
    } catch (Exception e) {
      fail(cmd + ": " + e);
    }
    System.out.flush();
    System.exit(0);
  }

  // ---------------------------------------------------------------- options
  static final class Opts {
    final Map<String, List<String>> m = new HashMap<>();

    Opts(String[] a) {
      for (int i = 0; i < a.length; i++) {
        if (!a[i].startsWith("--") || i + 1 >= a.length) {
          fail("bad option near " + a[i]);
        }
        m.computeIfAbsent(a[i].substring(2), k -> new ArrayList<>()).add(a[++i]);
      }
    }

    String get(String k) {
      List<String> v = m.get(k);
      if (v == null) {
        fail("missing --" + k);
      }
      return v.get(v.size() - 1);
    }

    String get(String k, String dflt) {
      List<String> v = m.get(k);
      return v == null ? dflt : v.get(v.size() - 1);
    }

    List<String> all(String k) {
      return m.getOrDefault(k, List.of());
    }
  }

  static void fail(String msg) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("error", msg);
    out(e);
    System.out.flush();
    System.exit(1);
  }

  static void out(Object o) {
    try {
      System.out.println(JSON.writeValueAsString(o));
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static Properties clientProps(Opts o) throws Exception {
    Properties p = new Properties();
    try (InputStream in = new FileInputStream(o.get("config"))) {
      p.load(in);
    }
    return p;
  }

  static Admin admin(Opts o) throws Exception {
    Properties p = clientProps(o);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
    return Admin.create(p);
  }

  static final char[] HEX = "0123456789abcdef".toCharArray();

  static String hex(byte[] b) {
    if (b == null) {
      return null;
    }
    char[] c = new char[b.length * 2];
    for (int i = 0; i < b.length; i++) {
      c[2 * i] = HEX[(b[i] >> 4) & 0xf];
      c[2 * i + 1] = HEX[b[i] & 0xf];
    }
    return new String(c);
  }

  static byte[] unhex(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    String s = n.asText();
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  // ---------------------------------------------------------------- data
  /** --input FILE: JSON lines {"key":hex|null,"value":hex|null,"headers":[[name,hex|null],...]}. */
  static void produce(Opts o) throws Exception {
    Properties p = clientProps(o);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "5");
    // --transactional-id: one committed transaction around all records (the partitions then
    // end with a commit marker, an offset no consumer ever reads).
    String txn = o.get("transactional-id", "");
    if (!txn.isEmpty()) {
      p.put("transactional.id", txn);
    }
    String topic = o.get("topic");
    List<Future<RecordMetadata>> fs = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(p);
        BufferedReader r = Files.newBufferedReader(Path.of(o.get("input")))) {
      if (!txn.isEmpty()) {
        prod.initTransactions();
        prod.beginTransaction();
      }
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n = JSON.readTree(line);
        ProducerRecord<byte[], byte[]> rec =
            new ProducerRecord<>(topic, null, unhex(n.get("key")), unhex(n.get("value")));
        JsonNode hs = n.get("headers");
        if (hs != null) {
          for (JsonNode h : hs) {
            rec.headers().add(h.get(0).asText(), unhex(h.get(1)));
          }
        }
        fs.add(prod.send(rec));
      }
      if (!txn.isEmpty()) {
        prod.commitTransaction();
      }
      prod.flush();
      List<Integer> parts = new ArrayList<>(fs.size());
      List<Long> offs = new ArrayList<>(fs.size());
      for (Future<RecordMetadata> f : fs) {
        RecordMetadata md = f.get();
        parts.add(md.partition());
        offs.add(md.offset());
      }
      out(obj("produced", fs.size(), "partitions", parts, "offsets", offs));
    }
  }

  /**
   * Replication probe across a lifecycle step. Reads --remote-topic on the target (client
   * properties --target-config) from its current end, then produces one record every
   * --interval-ms to --topic (--config), value "<run>-<seq>", until --stop-file exists; then
   * waits up to --drain-ms for every acknowledged record. Prints {"ready":true} once the first
   * record arrived, then one report line: produced (acknowledged), failed, lost (acknowledged,
   * never arrived), duplicated (arrivals beyond the first), max_delay_ms (longest a record took
   * from send() to arrival: the time without replication), longest_gap_ms (longest pause
   * between arrivals of new records while producing).
   */
  static void probe(Opts o) throws Exception {
    String run = o.get("run");
    String prefix = run + "-";
    long interval = Long.parseLong(o.get("interval-ms", "200"));
    long drain = Long.parseLong(o.get("drain-ms", "180000"));
    Path stop = Path.of(o.get("stop-file"));
    Properties cp = new Properties();
    try (InputStream in = new FileInputStream(o.get("target-config"))) {
      cp.load(in);
    }
    cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("enable.auto.commit", "false");
    Properties pp = clientProps(o);
    pp.put("key.serializer", ByteArraySerializer.class.getName());
    pp.put("value.serializer", ByteArraySerializer.class.getName());
    pp.put("acks", "all");
    pp.put("enable.idempotence", "true");
    pp.put("linger.ms", "0");
    pp.put("delivery.timeout.ms", "600000");
    Map<Long, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
    Set<Long> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp)) {
      String remote = o.get("remote-topic");
      List<TopicPartition> tps = new ArrayList<>();
      while (tps.isEmpty()) {
        var infos = c.listTopics(Duration.ofSeconds(10)).get(remote);
        if (infos != null) {
          infos.forEach(pi -> tps.add(new TopicPartition(pi.topic(), pi.partition())));
        } else {
          Thread.sleep(250); // the remote topic is created by MirrorMaker
        }
      }
      c.assign(tps);
      c.seekToEnd(tps);
      tps.forEach(c::position); // resolve the end now, before the first record is produced
      Thread producer = new Thread(() -> {
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(pp)) {
          for (long seq = 0; !Files.exists(stop); seq++) {
            final long s = seq;
            byte[] v = (prefix + s).getBytes(StandardCharsets.UTF_8);
            sentAt.put(s, System.currentTimeMillis());
            prod.send(new ProducerRecord<>(o.get("topic"), v, v), (md, ex) -> {
              if (ex == null) {
                acked.add(s);
              } else {
                failed.incrementAndGet();
              }
            });
            Thread.sleep(interval);
          }
          prod.flush();
        } catch (Exception e) {
          System.err.println("probe producer: " + e);
        }
        done.set(true);
      });
      producer.start();
      Map<Long, Integer> seen = new HashMap<>();
      long maxDelay = 0, longestGap = 0, lastNew = System.currentTimeMillis(), doneAt = 0;
      boolean ready = false;
      while (true) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
          String v = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
          if (!v.startsWith(prefix)) {
            continue;
          }
          long seq = Long.parseLong(v.substring(prefix.length()));
          long now = System.currentTimeMillis();
          if (seen.merge(seq, 1, Integer::sum) == 1) {
            Long t = sentAt.get(seq);
            maxDelay = Math.max(maxDelay, t == null ? 0 : now - t);
            if (!done.get()) {
              longestGap = Math.max(longestGap, now - lastNew);
            }
            lastNew = now;
            if (!ready) {
              ready = true;
              longestGap = 0;
              out(obj("ready", true));
              System.out.flush();
            }
          }
        }
        if (done.get()) {
          if (doneAt == 0) {
            doneAt = System.currentTimeMillis();
          }
          if (seen.keySet().containsAll(acked) || System.currentTimeMillis() > doneAt + drain) {
            break;
          }
        }
      }
      producer.join();
      long lost = acked.stream().filter(s -> !seen.containsKey(s)).count();
      long dup = seen.values().stream().mapToLong(n -> n - 1).sum();
      out(obj("run", run, "produced", acked.size(), "failed", failed.get(), "lost", lost,
          "duplicated", dup, "max_delay_ms", maxDelay, "longest_gap_ms", longestGap));
    }
  }

  /**
   * Reads a topic from the beginning of every partition (no group) until --count records were
   * seen and every partition is at its end offset, or --timeout-ms passes. Waits for the topic to
   * exist (MirrorMaker creates remote topics asynchronously).
   */
  static void consume(Opts o) throws Exception {
    String topic = o.get("topic");
    long want = Long.parseLong(o.get("count", "0"));
    long deadline = System.currentTimeMillis() + Long.parseLong(o.get("timeout-ms", "60000"));
    Properties p = clientProps(o);
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", o.get("isolation", "read_uncommitted"));
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      while (tps.isEmpty()) {
        var infos = c.listTopics(Duration.ofSeconds(10)).get(topic);
        if (infos != null && !infos.isEmpty()) {
          infos.forEach(pi -> tps.add(new TopicPartition(pi.topic(), pi.partition())));
        } else if (System.currentTimeMillis() > deadline) {
          fail("topic " + topic + " does not exist");
        } else {
          Thread.sleep(250); // poll interval while waiting for the topic to appear
        }
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      long seen = 0;
      while (true) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          List<List<String>> hs = new ArrayList<>();
          for (Header h : r.headers()) {
            hs.add(Arrays.asList(h.key(), hex(h.value())));
          }
          out(obj("partition", r.partition(), "offset", r.offset(), "key", hex(r.key()),
              "value", hex(r.value()), "headers", hs));
          seen++;
        }
        if (seen >= want) {
          Map<TopicPartition, Long> ends = c.endOffsets(tps);
          boolean atEnd = true;
          for (TopicPartition tp : tps) {
            if (c.position(tp) < ends.get(tp)) {
              atEnd = false;
            }
          }
          if (atEnd) {
            break;
          }
        }
        if (System.currentTimeMillis() > deadline) {
          break;
        }
      }
      out(obj("done", true, "count", seen));
    }
  }

  /**
   * Reads --topic as a member of --group (subscribe, so the group is active while it reads),
   * starting where the group's committed offsets say (auto.offset.reset=none: a partition
   * without a committed offset is an error, never a silent jump). Prints {"start": {partition:
   * offset}} with the position each partition was resumed from, one line per record (partition,
   * offset, key, value, headers), and reads until every partition's position reaches its
   * --until offset ("p=offset,..."; default: its end offset once assigned) or --timeout-ms
   * passes; then commits the positions and prints {"done", "count", "complete"}.
   */
  static void consumeGroup(Opts o) throws Exception {
    String topic = o.get("topic");
    long deadline = System.currentTimeMillis() + Long.parseLong(o.get("timeout-ms", "60000"));
    Map<Integer, Long> until = new TreeMap<>();
    for (String item : o.get("until", "").split(",")) {
      if (!item.isBlank()) {
        String[] kv = item.split("=", 2);
        until.put(Integer.parseInt(kv[0].trim()), Long.parseLong(kv[1].trim()));
      }
    }
    Properties p = clientProps(o);
    p.put("group.id", o.get("group"));
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "none");
    Map<Integer, Long> start = new TreeMap<>();
    Map<TopicPartition, Long> targets = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> parts) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
          Map<TopicPartition, Long> ends = c.endOffsets(parts);
          for (TopicPartition tp : parts) {
            // The committed offset the group resumes from (fetched now, before any record).
            start.putIfAbsent(tp.partition(), c.position(tp));
            targets.put(tp, until.getOrDefault(tp.partition(), ends.get(tp)));
          }
          out(obj("start", start));
        }
      });
      long seen = 0;
      boolean complete = false;
      while (System.currentTimeMillis() < deadline) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          List<List<String>> hs = new ArrayList<>();
          for (Header h : r.headers()) {
            hs.add(Arrays.asList(h.key(), hex(h.value())));
          }
          out(obj("partition", r.partition(), "offset", r.offset(), "key", hex(r.key()),
              "value", hex(r.value()), "headers", hs));
          seen++;
        }
        if (!targets.isEmpty() && targets.keySet().containsAll(c.assignment())
            && until.keySet().stream().allMatch(start::containsKey)) {
          complete = true;
          for (var e : targets.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
              complete = false;
            }
          }
          if (complete) {
            break;
          }
        }
      }
      c.commitSync();
      out(obj("done", true, "count", seen, "complete", complete));
    }
  }

  // ---------------------------------------------------------------- topics
  static void createTopic(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      NewTopic t = new NewTopic(o.get("topic"), Integer.parseInt(o.get("partitions", "1")),
          Short.parseShort(o.get("replication-factor", "1")));
      Map<String, String> cfg = new HashMap<>();
      for (String kv : o.all("topic-config")) {
        String[] s = kv.split("=", 2);
        cfg.put(s[0], s[1]);
      }
      t.configs(cfg);
      a.createTopics(List.of(t)).all().get();
      out(obj("created", o.get("topic")));
    }
  }

  static void listTopics(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      ListTopicsOptions lo = new ListTopicsOptions().listInternal(
          Boolean.parseBoolean(o.get("internal", "false")));
      List<String> names = new ArrayList<>(a.listTopics(lo).names().get());
      Collections.sort(names);
      out(obj("topics", names));
    }
  }

  static void describeTopic(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      String t = o.get("topic");
      TopicDescription d = a.describeTopics(List.of(t)).allTopicNames().get().get(t);
      out(obj("topic", t, "partitions", d.partitions().size(), "replication_factor",
          d.partitions().get(0).replicas().size()));
    }
  }

  static void describeTopicConfig(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, o.get("topic"));
      Config c = a.describeConfigs(List.of(r)).all().get().get(r);
      Map<String, Object> m = new TreeMap<>();
      for (ConfigEntry e : c.entries()) {
        m.put(e.name(), obj("value", e.value(), "source", e.source().name()));
      }
      out(obj("topic", o.get("topic"), "configs", m));
    }
  }

  static void alterTopicConfig(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, o.get("topic"));
      List<AlterConfigOp> ops = new ArrayList<>();
      for (String kv : o.all("set")) {
        String[] s = kv.split("=", 2);
        ops.add(new AlterConfigOp(new ConfigEntry(s[0], s[1]), AlterConfigOp.OpType.SET));
      }
      for (String k : o.all("delete")) {
        ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE));
      }
      a.incrementalAlterConfigs(Map.of(r, ops)).all().get();
      out(obj("altered", o.get("topic")));
    }
  }

  // ---------------------------------------------------------------- groups
  /** --offsets "topic:partition=offset,topic:partition=offset". */
  static void commitOffsets(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
      for (String item : o.get("offsets").split(",")) {
        String[] kv = item.split("=", 2);
        int colon = kv[0].lastIndexOf(':');
        m.put(new TopicPartition(kv[0].substring(0, colon), Integer.parseInt(kv[0].substring(colon + 1))),
            new OffsetAndMetadata(Long.parseLong(kv[1])));
      }
      a.alterConsumerGroupOffsets(o.get("group"), m).all().get();
      out(obj("committed", m.size()));
    }
  }

  static void groupOffsets(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      Map<TopicPartition, OffsetAndMetadata> m =
          a.listConsumerGroupOffsets(o.get("group")).partitionsToOffsetAndMetadata().get();
      List<Object> l = new ArrayList<>();
      for (var e : m.entrySet()) {
        if (e.getValue() != null) {
          l.add(obj("topic", e.getKey().topic(), "partition", e.getKey().partition(), "offset",
              e.getValue().offset()));
        }
      }
      out(obj("group", o.get("group"), "offsets", l));
    }
  }

  // ---------------------------------------------------------------- ACLs and users
  static AclBinding binding(String principal, ResourceType rt, String name, PatternType pt,
      AclOperation op, AclPermissionType perm) {
    return new AclBinding(new ResourcePattern(rt, name, pt),
        new AccessControlEntry(principal, "*", op, perm));
  }

  static void aclAdd(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      AclBinding b = binding(o.get("principal"),
          ResourceType.fromString(o.get("resource-type")), o.get("resource-name"),
          PatternType.fromString(o.get("pattern", "LITERAL")),
          AclOperation.fromString(o.get("operation")),
          AclPermissionType.fromString(o.get("permission", "ALLOW")));
      a.createAcls(List.of(b)).all().get();
      out(obj("added", b.toString()));
    }
  }

  /** Removes ACLs matching the filter; unspecified fields match ANY. */
  static void aclRemove(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      ResourcePatternFilter rf = new ResourcePatternFilter(
          ResourceType.fromString(o.get("resource-type", "ANY")), o.get("resource-name", null),
          PatternType.fromString(o.get("pattern", "ANY")));
      AccessControlEntryFilter ef = new AccessControlEntryFilter(o.get("principal", null), null,
          AclOperation.fromString(o.get("operation", "ANY")),
          AclPermissionType.fromString(o.get("permission", "ANY")));
      Collection<AclBinding> gone = a.deleteAcls(List.of(new AclBindingFilter(rf, ef))).all().get();
      List<String> l = new ArrayList<>();
      gone.forEach(b -> l.add(b.toString()));
      out(obj("removed", l));
    }
  }

  static void aclList(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      AccessControlEntryFilter ef = new AccessControlEntryFilter(o.get("principal", null), null,
          AclOperation.ANY, AclPermissionType.ANY);
      Collection<AclBinding> bs = a.describeAcls(new AclBindingFilter(ResourcePatternFilter.ANY, ef))
          .values().get();
      List<Object> l = new ArrayList<>();
      for (AclBinding b : bs) {
        l.add(obj("principal", b.entry().principal(), "resource_type",
            b.pattern().resourceType().name(), "resource_name", b.pattern().name(), "pattern",
            b.pattern().patternType().name(), "operation", b.entry().operation().name(),
            "permission", b.entry().permissionType().name()));
      }
      out(obj("acls", l));
    }
  }

  static void upsertScram(Admin a, String user, String password) throws Exception {
    a.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get();
  }

  static void scramUpsert(Opts o) throws Exception {
    try (Admin a = admin(o)) {
      upsertScram(a, o.get("user"), o.get("password"));
      out(obj("user", o.get("user"), "mechanism", "SCRAM-SHA-512"));
    }
  }

  /**
   * What Charmed Kafka does for a kafka_client relation (relations.md §1.3), with one deviation:
   * role "admin" gets ALLOW ALL on Cluster, Topic *, Group *, TransactionalId * instead of a
   * super.users entry (same rights without a broker restart).
   */
  static void provision(Opts o) throws Exception {
    String user = o.get("user");
    String principal = "User:" + user;
    String roles = o.get("roles", "");
    String topic = o.get("topic", null);
    String groupPrefix = o.get("group-prefix", user + "-");
    List<AclBinding> acls = new ArrayList<>();
    AclPermissionType allow = AclPermissionType.ALLOW;
    if (roles.contains("admin")) {
      acls.add(binding(principal, ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL,
          AclOperation.ALL, allow));
      acls.add(binding(principal, ResourceType.TOPIC, "*", PatternType.LITERAL, AclOperation.ALL, allow));
      acls.add(binding(principal, ResourceType.GROUP, "*", PatternType.LITERAL, AclOperation.ALL, allow));
      acls.add(binding(principal, ResourceType.TRANSACTIONAL_ID, "*", PatternType.LITERAL,
          AclOperation.ALL, allow));
    }
    if (topic != null && (roles.contains("producer") || roles.contains("consumer"))) {
      PatternType pt = topic.endsWith("*") && topic.length() > 1 ? PatternType.PREFIXED
          : PatternType.LITERAL;
      String name = pt == PatternType.PREFIXED ? topic.substring(0, topic.length() - 1) : topic;
      List<AclOperation> ops = new ArrayList<>(List.of(AclOperation.READ, AclOperation.DESCRIBE));
      if (roles.contains("producer")) {
        ops.add(AclOperation.WRITE);
      }
      for (AclOperation op : ops) {
        acls.add(binding(principal, ResourceType.TOPIC, name, pt, op, allow));
      }
      if (roles.contains("consumer")) {
        acls.add(binding(principal, ResourceType.GROUP, groupPrefix, PatternType.PREFIXED,
            AclOperation.READ, allow));
      }
    }
    try (Admin a = admin(o)) {
      upsertScram(a, user, o.get("password"));
      if (!acls.isEmpty()) {
        a.createAcls(acls).all().get();
      }
      List<String> l = new ArrayList<>();
      acls.forEach(b -> l.add(b.toString()));
      out(obj("user", user, "acls", l));
    }
  }

  // ---------------------------------------------------------------- TLS material
  /** Jetty (Connect's REST server) wants a PKCS12/JKS keystore; kafka-bed makes PEM with rcgen. */
  static void pemToPkcs12(Opts o) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<Certificate> chain = new ArrayList<>();
    try (InputStream in = new FileInputStream(o.get("cert"))) {
      chain.addAll(cf.generateCertificates(in));
    }
    String keyPem = Files.readString(Path.of(o.get("key")), StandardCharsets.US_ASCII);
    String b64 = keyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(b64);
    PrivateKey key = null;
    for (String alg : List.of("EC", "RSA", "Ed25519")) {
      try {
        key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
        break;
      } catch (Exception e) {
        // try the next algorithm
      }
    }
    if (key == null) {
      fail("cannot parse PKCS#8 key " + o.get("key"));
    }
    char[] pw = o.get("password").toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key, pw, chain.toArray(new Certificate[0]));
    try (FileOutputStream f = new FileOutputStream(o.get("out"))) {
      ks.store(f, pw);
    }
    out(obj("keystore", o.get("out")));
  }
}
