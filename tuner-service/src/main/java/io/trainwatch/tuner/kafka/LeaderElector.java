package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;
import io.trainwatch.events.Topics;
import io.trainwatch.service.TopicInitializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Leader election by consumer-group membership, the way Kafka Connect's workers and Schema Registry's instances
 * elect theirs, with the plain consumer: every tuner instance joins the group {@link Settings#group()} on the
 * one-partition topic {@link Topics#TUNER_LEADER} and the member assigned that partition is the active tuner. The
 * classic group protocol, because its session timeout is the client's own (Kafka 4's consumer protocol takes the
 * broker's, 45 s at least): a killed active instance leaves the group after {@link Settings#sessionTimeout()}, and a
 * standby is assigned the partition at its next heartbeat. The cooperative sticky assignor keeps the partition with
 * its owner when another instance joins or leaves, so a standby starting never interrupts the active one.
 *
 * <p>Its own thread polls every {@link Settings#pollInterval()} and hands {@link Leadership} what it sees; the
 * rebalance callbacks run on that thread, so a revoked term is closed before this member rejoins and the partition
 * moves. Every few seconds the group is described (off the thread) to name the active instance and count the
 * others. Nothing is ever written to the topic or committed.
 */
public final class LeaderElector implements AutoCloseable {

    /** Client id prefix of the election consumer; the rest is the instance id (how others name the active one). */
    static final String CLIENT_PREFIX = "tuner-leader-";
    private static final Duration DESCRIBE_EVERY = Duration.ofSeconds(3);

    /** The election's group and timings; {@link #of} derives them from the tuner's consumer group. */
    public record Settings(String topic, String group, String instanceId, Duration sessionTimeout,
                           Duration heartbeatInterval, Duration pollInterval) {

        /** Group {@code <consumerGroup>-leader}, heartbeat a quarter of the session timeout, polls every 200 ms. */
        public static Settings of(String consumerGroup, String instanceId, Duration sessionTimeout) {
            return new Settings(Topics.TUNER_LEADER, consumerGroup + "-leader", instanceId, sessionTimeout,
                    sessionTimeout.dividedBy(4), Duration.ofMillis(200));
        }

        /**
         * Heartbeat age at which an active instance that knows of others steps down: two heartbeats before the
         * coordinator would expire it, so it stops before another is elected.
         */
        public Duration silenceLimit() {
            return sessionTimeout.minus(heartbeatInterval.multipliedBy(2));
        }
    }

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> adminConfig;
    private final TopicInitializer topics;
    private final Settings settings;
    private final Leadership<?> leadership;
    private final TopicPartition leaderPartition;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean describing = new AtomicBoolean();
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile int peers;
    private volatile boolean nobodyHolds;
    private Admin admin;
    private long nextDescribe;
    private long nextMissingWarning;
    private long nextTopicCheck;
    private boolean topicChecked;
    private MetricName heartbeatMetric;

    /**
     * @param consumerConfig the service's consumer settings (any group in it is replaced by the election's)
     * @param topics         creates the election topic with the contract's others, unless topic creation is off
     */
    public LeaderElector(Map<String, Object> consumerConfig, Map<String, Object> adminConfig, TopicInitializer topics,
                         Settings settings, Leadership<?> leadership) {
        this.consumerConfig = electionConsumer(consumerConfig, settings);
        this.adminConfig = new HashMap<>(adminConfig);
        this.topics = topics;
        this.settings = settings;
        this.leadership = leadership;
        this.leaderPartition = new TopicPartition(settings.topic(), 0);
        this.thread = new Thread(this::run, "tuner-elector");
        this.thread.setDaemon(true);
    }

    /** The election consumer's settings: classic protocol, short session, cooperative sticky, nothing committed. */
    static Map<String, Object> electionConsumer(Map<String, Object> base, Settings s) {
        Map<String, Object> c = new HashMap<>(base);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, s.group());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_PREFIX + s.instanceId());
        c.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) s.sessionTimeout().toMillis());
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) s.heartbeatInterval().toMillis());
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        return c;
    }

    public LeaderElector start() {
        thread.start();
        return this;
    }

    private void run() {
        ensureTopic();
        while (running) {
            KafkaConsumer<String, byte[]> c = null;
            try {
                c = new KafkaConsumer<>(consumerConfig);
                consumer = c;
                if (!running) {
                    break;
                }
                c.subscribe(List.of(settings.topic()), new Callbacks());
                while (running) {
                    c.poll(settings.pollInterval());
                    cycle(c);
                }
            } catch (WakeupException e) {
                // close() woke the consumer
            } catch (Exception e) {
                if (running) {
                    Log.warnf("Tuner election (%s): %s; joining again in 1 s", settings.group(), e.toString());
                    leadership.lost("the election consumer failed: " + e);
                    sleepQuietly(Duration.ofSeconds(1));
                }
            } finally {
                consumer = null;
                if (!running) {
                    leadership.stop(); // the term ends before this member leaves the group
                }
                if (c != null) {
                    try {
                        c.close(Duration.ofSeconds(5));
                    } catch (RuntimeException e) {
                        Log.debugf("closing the election consumer: %s", e);
                    }
                }
            }
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    private void cycle(KafkaConsumer<String, byte[]> c) {
        int generation = c.groupMetadata().generationId();
        boolean holds = c.assignment().contains(leaderPartition);
        describe();
        Leadership.View view = new Leadership.View(generation > 0, holds, generation, heartbeatAge(c), peers);
        leadership.observe(view);
        if (leadership.takeRejoinRequest()) {
            c.enforceRebalance("stepped down; rejoining for a later generation");
        }
        long now = System.nanoTime();
        if (!topicChecked && !holds && now >= nextTopicCheck) {
            ensureTopic(); // the broker was down at start: create it once it answers
        }
        if (view.joined() && !holds && nobodyHolds && now >= nextMissingWarning) {
            nextMissingWarning = now + TimeUnit.MINUTES.toNanos(1);
            Log.warnf("No tuner instance holds %s-0, so none is active: does the topic %s exist (1 partition)? "
                    + "With trainwatch.kafka.create-topics=false, create it.", settings.topic(), settings.topic());
        }
    }

    /** Seconds since the consumer last sent a heartbeat (the client's own metric; -1 when none was sent yet). */
    private double heartbeatAge(KafkaConsumer<String, byte[]> c) {
        Map<MetricName, ? extends Metric> metrics = c.metrics();
        if (heartbeatMetric == null) {
            heartbeatMetric = metrics.keySet().stream()
                    .filter(m -> m.name().equals("last-heartbeat-seconds-ago") && m.group().contains("coordinator"))
                    .findFirst().orElse(null);
        }
        Metric m = heartbeatMetric == null ? null : metrics.get(heartbeatMetric);
        Object v = m == null ? null : m.metricValue();
        return v instanceof Number n && !Double.isNaN(n.doubleValue()) ? n.doubleValue() : -1;
    }

    /** Describes the group off this thread, at most every {@link #DESCRIBE_EVERY}: the active instance and peers. */
    private void describe() {
        long now = System.nanoTime();
        if (now < nextDescribe || !describing.compareAndSet(false, true)) {
            return;
        }
        nextDescribe = now + DESCRIBE_EVERY.toNanos();
        try {
            if (admin == null) {
                admin = Admin.create(adminConfig);
            }
            admin.describeConsumerGroups(List.of(settings.group())).describedGroups().get(settings.group())
                    .whenComplete((group, error) -> {
                        describing.set(false);
                        if (error == null) {
                            seen(group);
                        }
                    });
        } catch (RuntimeException e) {
            describing.set(false);
            Log.debugf("describing %s: %s", settings.group(), e);
        }
    }

    private void seen(ConsumerGroupDescription group) {
        String active = null;
        int members = 0;
        boolean self = false;
        for (MemberDescription m : group.members()) {
            members++;
            String id = m.clientId().startsWith(CLIENT_PREFIX) ? m.clientId().substring(CLIENT_PREFIX.length())
                    : m.clientId();
            self |= id.equals(settings.instanceId());
            if (m.assignment().topicPartitions().contains(leaderPartition)) {
                active = id;
            }
        }
        peers = Math.max(0, members - (self ? 1 : 0));
        nobodyHolds = active == null;
        leadership.activeIs(active);
    }

    private void ensureTopic() {
        nextTopicCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            topics.createMissing(List.of(), Duration.ofSeconds(10));
            topicChecked = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            Log.warnf("Tuner election: could not check the topic %s (%s); joining anyway", settings.topic(),
                    e.toString());
        }
    }

    private void sleepQuietly(Duration d) {
        try {
            stopped.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Ends the term (cleanly) and leaves the group, so that a standby takes over at once. */
    @Override
    public void close() {
        running = false;
        stopped.countDown();
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!thread.isAlive()) {
            leadership.stop();
        }
    }

    /** The rebalance callbacks, on the elector's thread inside poll. */
    private final class Callbacks implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.contains(leaderPartition)) {
                leadership.revoked();
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // acted on after the poll (Leadership.observe), from the consumer's whole assignment
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (partitions.contains(leaderPartition)) {
                leadership.lost("the group membership expired");
            }
        }
    }
}
