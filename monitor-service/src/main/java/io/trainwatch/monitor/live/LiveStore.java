package io.trainwatch.monitor.live;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;

import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The live page's memory: every run, alert, tuner action and study the feed has read, bounded by
 * {@link LiveConfig} (runs, points per series, layers, alerts, actions, studies), plus what changed since
 * the last push ({@link #drain()}), itself bounded. Plain Java, one lock, no Kafka: the feed
 * {@link #apply applies} raw records, the REST resource reads snapshots ({@link LiveViews}). Bad records are
 * counted and skipped.
 *
 * <p>The work is split by job: {@link RunEvents} folds a run's own records, {@link TunerActions} the tuner's
 * commands and their confirmations, {@link LiveStudies} the study documents, {@link LiveRuns} bounds the runs,
 * and {@link LiveChanges} tracks what the next push carries.
 */
public final class LiveStore {

    private final LiveChanges changes;
    private final LiveRuns runs;
    private final RunEvents events;
    private final TunerActions actions;
    private final LiveStudies studies;

    private long records;
    private long skipped;
    private String lastSkipReason;

    public LiveStore(LiveConfig config, Clock clock) {
        this.changes = new LiveChanges(config.maxPendingPoints());
        this.runs = new LiveRuns(config.maxRuns(), clock, changes);
        this.actions = new TunerActions(config.maxActions(), clock, changes);
        this.events = new RunEvents(config, runs, changes, actions);
        this.studies = new LiveStudies(config, clock, changes);
    }

    /** Folds one raw record of a topic in; never throws on bad bytes (they are counted as skipped). */
    public synchronized void apply(String topic, String key, byte[] value) {
        records++;
        switch (topic) {
            case Topics.TRAINING_EVENTS -> fold(topic, EventCodec.readTrainingEvent(value), events::event);
            case Topics.TRAINING_ALERTS -> fold(topic, EventCodec.readAlert(value), events::alert);
            case Topics.TUNER_COMMANDS -> fold(topic, EventCodec.readCommand(value), this::command);
            case Topics.TUNER_TRIALS -> fold(topic, EventCodec.readTrial(value), events::trial);
            case Topics.TUNER_STUDIES -> {
                String why = studies.apply(key, value);
                if (why != null) {
                    skipped(why);
                }
            }
            default -> skipped(topic + ": not a topic of the live page");
        }
    }

    private <T> void fold(String topic, ReadResult<T> r, Consumer<T> into) {
        if (r.isValid()) {
            into.accept(r.value());
        } else {
            skipped(topic + ": " + r.error());
        }
    }

    private void command(TunerCommand c) {
        LiveRun run = runs.runFor(c.runId());
        actions.command(run, c);
        runs.changed(run);
    }

    private void skipped(String reason) {
        skipped++;
        lastSkipReason = reason;
    }

    /**
     * What changed since the last call, as one push message (null when nothing did), then forgets it. Points
     * are by run, for the pages that show that run; a run whose new points overflowed the buffer, or a push
     * with too many alerts, tells the pages to reload that run (or everything) instead.
     */
    public synchronized Delta drain() {
        return changes.drain(runs::get, studies::get);
    }

    /** The sequence number of the last push. */
    public synchronized long seq() {
        return changes.seq();
    }

    /** Every run, most recently updated first. */
    public synchronized List<LiveViews.RunSummary> runs() {
        return runs.all().stream().sorted(Comparator.comparingLong((LiveRun r) -> r.updatedMillis).reversed()
                .thenComparing(r -> r.runId)).map(LiveRun::summary).toList();
    }

    /** One run's whole picture: summary, series, alerts and tuner actions; null when unknown. */
    public synchronized LiveViews.RunDetail run(String runId) {
        LiveRun r = runs.get(runId);
        if (r == null) {
            return null;
        }
        Map<String, LiveViews.SeriesView> series = new LinkedHashMap<>();
        r.series.forEach((name, s) -> series.put(name, new LiveViews.SeriesView(s.steps(), s.values(), s.width())));
        return new LiveViews.RunDetail(changes.seq(), r.summary(), series, List.copyOf(r.alerts),
                r.actions.values().stream().map(a -> a.view(r.runId)).toList());
    }

    /** The studies, most recently received first. */
    public synchronized List<Map<String, Object>> studies() {
        return studies.all().stream().sorted(Comparator.comparingLong(LiveStudy::receivedMillis).reversed())
                .map(LiveStudy::json).toList();
    }

    /** Counters and sizes, for the page's footer and the README's figures. */
    public synchronized LiveViews.Stats stats() {
        return new LiveViews.Stats(records, skipped, events.ignored(), lastSkipReason, runs.size(), studies.size(),
                runs.all().stream().mapToLong(LiveRun::seriesBytes).sum(), null);
    }

    public synchronized long records() {
        return records;
    }

    public synchronized long skipped() {
        return skipped;
    }

    public synchronized long ignored() {
        return events.ignored();
    }

    public synchronized int runCount() {
        return runs.size();
    }

    /** Heap held by one run's series, or -1 when unknown. */
    public synchronized long seriesBytes(String runId) {
        LiveRun r = runs.get(runId);
        return r == null ? -1 : r.seriesBytes();
    }

    /**
     * One push: {@code common} for every page, {@code points} by run for the pages showing that run.
     */
    public record Delta(long seq, LiveViews.DeltaMessage common, Map<String, Map<String, LiveViews.PointsView>> points) {

        /** The message for a page that shows {@code runId} (or none). */
        public String json(String runId) {
            Map<String, LiveViews.PointsView> p = runId == null ? null : points.get(runId);
            LiveViews.DeltaMessage c = common;
            return LiveJson.write(new LiveViews.DeltaMessage(c.type(), c.seq(), c.runs(), c.evicted(), c.alerts(),
                    c.actions(), c.studies(), c.removedStudies(), c.resync(), c.resyncAll(),
                    p == null ? Map.of() : Map.of(runId, p)));
        }
    }
}
