package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.engine.Effects;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.SteeredRunJson;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudyState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes the tuner's effects to Kafka, each in one transaction of a producer whose {@code transactional.id} every
 * instance of the consumer group shares ({@link TunerRuntime.Settings#transactionalId()}): opening it (Kafka's
 * {@code initTransactions}) bumps the id's epoch, which fences every earlier producer of it and aborts (or finishes)
 * the transaction it left open. So only the newest instance to open it can write: an old active instance that
 * stalled and lost the election gets {@link ProducerFencedException} at its next write, stops writing for good and
 * says so ({@code onFenced}). Any other failure aborts the transaction (or drops the producer when even that fails;
 * the next write opens a new one), so a {@code read_committed} reader never sees a failed write's records.
 */
final class EffectsWriter {

    private final Map<String, Object> config;
    private final TunerRuntime.Settings settings;
    private final Runnable onFenced;
    private volatile KafkaProducer<String, byte[]> producer;
    private volatile boolean fenced;

    EffectsWriter(Map<String, Object> producerConfig, TunerRuntime.Settings settings, Runnable onFenced) {
        this.config = new HashMap<>(producerConfig);
        this.config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        // gzip: the JDK's own codec, which every broker can read; a broker without lz4-java on its class path
        // (the bundled local-kafka) fails lz4 batches on the compacted tuner.studies with NoClassDefFoundError.
        this.config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        this.config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId());
        // init, send and commit give up after the send timeout (the outbox retries), never the default 60 s
        this.config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.sendTimeout().toMillis());
        this.settings = settings;
        this.onFenced = onFenced;
    }

    boolean isOpen() {
        return producer != null;
    }

    /** Whether another producer of the transactional id took over (or {@link #fence()} was called). */
    boolean fenced() {
        return fenced;
    }

    /** Opens a new producer of the transactional id, fencing any other; throws when the broker does not answer. */
    void open() {
        if (fenced) {
            throw new IllegalStateException("fenced: another tuner instance writes now");
        }
        close(Duration.ZERO);
        KafkaProducer<String, byte[]> p = new KafkaProducer<>(config);
        try {
            p.initTransactions();
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
        producer = p;
    }

    /** Writes one set of effects in one transaction: studies, then trials, then commands; throws when it failed. */
    void write(Effects fx) throws Exception {
        if (producer == null) {
            open();
        }
        KafkaProducer<String, byte[]> p = producer;
        try {
            p.beginTransaction();
            send(p, fx);
            p.commitTransaction();
        } catch (Exception e) {
            if (fencedBy(e)) {
                fence();
                Log.warnf("Tuner fenced: another instance opened transactional id %s; this one stops writing",
                        settings.transactionalId());
                onFenced.run();
                throw e;
            }
            try {
                p.abortTransaction();
            } catch (Exception abortFailed) {
                close(Duration.ZERO); // the next write opens a new producer, whose init ends this transaction
            }
            throw e;
        }
    }

    private void send(KafkaProducer<String, byte[]> p, Effects fx) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (StudyState s : fx.changedStudies()) {
            sent.add(p.send(new ProducerRecord<>(settings.studiesTopic(), s.id, StudyJson.write(s))));
        }
        for (SteeredRun r : fx.changedRuns()) {
            sent.add(p.send(new ProducerRecord<>(settings.studiesTopic(), r.key(), SteeredRunJson.write(r))));
        }
        for (String runId : fx.removedRuns()) {
            sent.add(p.send(new ProducerRecord<>(settings.studiesTopic(), SteeredRun.KEY_PREFIX + runId, null)));
        }
        for (Trial t : fx.trials()) {
            sent.add(p.send(new ProducerRecord<>(Topics.TUNER_TRIALS, t.runId(), EventCodec.write(t))));
        }
        for (TunerCommand c : fx.commands()) {
            sent.add(p.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, c.runId(), EventCodec.write(c))));
        }
        for (Future<?> f : sent) {
            f.get(settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Whether the failure says another producer of the transactional id took over (directly or as a cause). */
    static boolean fencedBy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /** Writes nothing more: the producer is closed without waiting (its open transaction left to the next writer). */
    void fence() {
        fenced = true;
        close(Duration.ZERO);
    }

    void close(Duration timeout) {
        KafkaProducer<String, byte[]> p = producer;
        producer = null;
        if (p != null) {
            try {
                p.close(timeout);
            } catch (Exception e) {
                Log.debugf("closing the producer: %s", e);
            }
        }
    }
}
