package io.trainwatch.monitor.stream;

import io.quarkus.logging.Log;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.engine.RunStateCodec;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The run states of one stream task: decoded {@link RunState} objects over the changelogged byte store, each
 * changed state serialised into it once per commit instead of once per event.
 *
 * <p>Before Kafka Streams commits a task's offsets (on the commit interval, on a rebalance, at shutdown) it
 * flushes the caches of the task's stores into their changelogs, inside the transaction under exactly-once
 * ({@code ProcessorStateManager.flushCache}, which calls {@link #flushCache()} of every
 * {@link CachedStateStore}): that is where the states changed since the last commit are written, so the changelog
 * holds exactly the states of the committed offsets, as with the Streams record cache this replaces, which held
 * serialised bytes and so needed {@link RunStateCodec#write} per event (JFR: 10 % of the stream thread with the
 * cache's own bookkeeping). {@code CachedStateStore} is an internal interface of Kafka Streams (4.1.1 here):
 * {@code ExactlyOnceIT} kills an instance mid-run and fails if a state is not in the changelog at a commit.
 * This is a plain {@link StateStore}, not a {@code KeyValueStore}, so that the processor gets this object itself
 * from its context.
 */
final class RunStateStore implements StateStore, CachedStateStore<String, byte[]> {

    /** Decoded states kept for the runs seen last: a hot run is decoded once, not per event. */
    static final int CACHED_RUNS = 4096;

    private final KeyValueStore<String, byte[]> bytes;
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, RunState> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RunState> eldest) {
            // A changed state stays until it is written, however many runs there are.
            return size() > CACHED_RUNS && !dirty.contains(eldest.getKey());
        }
    };

    private RunStateStore(KeyValueStore<String, byte[]> bytes) {
        this.bytes = bytes;
    }

    /** In memory, changelogged, no Streams record cache (this store is the cache). */
    static StoreBuilder<RunStateStore> builder(String name) {
        return new Builder(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled().withLoggingEnabled(Map.of()));
    }

    /** The run's state: as changed since the last commit, else as last written; null when the run is unknown. */
    RunState get(String runId) {
        RunState state = cache.get(runId);
        if (state == null) {
            state = RunStateCodec.read(bytes.get(runId));
            if (state != null) {
                cache.put(runId, state);
            }
        }
        return state;
    }

    /** Marks the run's state as changed: it is written at the next flush. */
    void put(RunState state) {
        dirty.add(state.runId);
        cache.put(state.runId, state);
    }

    /** Drops the changes since the last commit: the run's next read gives its state as last written. */
    void forget(String runId) {
        dirty.remove(runId);
        cache.remove(runId);
    }

    /** Removes the run. */
    void delete(String runId) {
        forget(runId);
        bytes.delete(runId);
    }

    /** The ids of the runs whose state passes the test (every run of this task is decoded: for rare sweeps). */
    List<String> runIds(java.util.function.Predicate<RunState> test) {
        writeChanged();
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = bytes.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> entry = it.next();
                RunState s = RunStateCodec.read(entry.value);
                if (s == null || test.test(s)) {
                    out.add(entry.key);
                }
            }
        }
        return out;
    }

    private void writeChanged() {
        for (String runId : dirty) {
            byte[] state;
            try {
                state = RunStateCodec.write(cache.get(runId));
            } catch (RuntimeException e) {
                // A bug here would otherwise fail every commit of the task: the store keeps the run's last state.
                Log.errorf(e, "Could not serialise the state of run %s; its last committed state is kept", runId);
                continue;
            }
            bytes.put(runId, state);
        }
        dirty.clear();
        // More runs changed in one commit than the cache keeps: back to its bound, least recently used first.
        var eldest = cache.keySet().iterator();
        for (int excess = cache.size() - CACHED_RUNS; excess > 0; excess--) {
            eldest.next();
            eldest.remove();
        }
    }

    /** Decoded states held (for tests: bounded by {@link #CACHED_RUNS} after each commit). */
    int cachedRuns() {
        return cache.size();
    }

    @Override
    public void flushCache() {
        writeChanged();
    }

    @Override
    public void clearCache() {
        dirty.clear();
        cache.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<String, byte[]> listener, boolean sendOldValues) {
        return false; // nothing downstream of this store
    }

    @Override
    public String name() {
        return bytes.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        dirty.clear();
        cache.clear();
        bytes.init(context, root);
    }

    @Override
    public void flush() {
        writeChanged(); // nothing left after flushCache; here for any path that flushes without it
        bytes.flush();
    }

    @Override
    public void close() {
        // A clean close was committed first; after a dirty one the byte store is dropped too and the task, if it
        // comes back, is restored from the changelog: nothing held here may survive either way.
        dirty.clear();
        cache.clear();
        bytes.close();
    }

    @Override
    public boolean persistent() {
        return bytes.persistent();
    }

    @Override
    public boolean isOpen() {
        return bytes.isOpen();
    }

    /** Builds the byte store with Kafka Streams' own builder (metrics, changelog) and puts this store over it. */
    private record Builder(StoreBuilder<KeyValueStore<String, byte[]>> inner) implements StoreBuilder<RunStateStore> {

        @Override
        public StoreBuilder<RunStateStore> withCachingEnabled() {
            throw new UnsupportedOperationException("the run-state store is its own cache");
        }

        @Override
        public StoreBuilder<RunStateStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<RunStateStore> withLoggingEnabled(Map<String, String> config) {
            return new Builder(inner.withLoggingEnabled(config));
        }

        @Override
        public StoreBuilder<RunStateStore> withLoggingDisabled() {
            return new Builder(inner.withLoggingDisabled());
        }

        @Override
        public RunStateStore build() {
            return new RunStateStore(inner.build());
        }

        @Override
        public Map<String, String> logConfig() {
            return inner.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return inner.loggingEnabled();
        }

        @Override
        public String name() {
            return inner.name();
        }
    }
}
