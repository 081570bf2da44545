package io.trainwatch.trainer.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.TrainingEvent;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The runs this instance has in progress, one small JSON file per run in a folder of the trainer's state dir:
 * written when the run is created, rewritten now and then with the last step done, rewritten with the run's
 * {@code run-finished} just before it is published ({@link #ended}), and deleted only once the broker has
 * acknowledged that {@code run-finished} ({@link #acknowledged}): a trainer that dies between publishing and the
 * broker's acknowledgement leaves the entry, and the next start sends the same {@code run-finished} again. Every
 * write goes to a temporary file first and is then renamed over the old one, so a reader sees the old entry or the
 * new one, never half of one. Whatever is left in the folder when
 * the trainer starts are runs that a dead trainer never finished ({@link #leftovers()}); a file that cannot be
 * read is skipped and renamed to {@code *.corrupt}, so that one bad file never holds the others up.
 *
 * <p>After {@link #close()} (the trainer is shutting down) the journal no longer changes, except that an entry
 * whose {@code run-finished} the broker acknowledges is still deleted: a run that ends after that stays in it,
 * because its {@code run-finished} may not have reached the broker.
 *
 * <p>A {@code run-finished} can so reach the broker twice (the broker took it, the trainer died before it heard so):
 * the monitor and the tuner ignore a second {@code run-finished} of a run that has ended, and the one sent again is
 * the same event (same status, reason, step and timestamp).
 */
public final class RunJournal {

    private static final Logger LOG = Logger.getLogger(RunJournal.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUFFIX = ".json";

    /**
     * One run in progress; {@code step} is the last step done, or -1 when none is known; {@code finished}: the
     * {@code run-finished} published for it and not yet acknowledged by the broker, or null.
     */
    public record Entry(String runId, String studyId, String trialId, Instant createdAt, long step,
                        RunFinished finished) {

        public Entry(String runId, String studyId, String trialId, Instant createdAt, long step) {
            this(runId, studyId, trialId, createdAt, step, null);
        }

        Entry withStep(long s) {
            return new Entry(runId, studyId, trialId, createdAt, s, finished);
        }

        Entry withFinished(RunFinished f) {
            return new Entry(runId, studyId, trialId, createdAt, step, f);
        }
    }

    private final Path dir;
    /** The entries this process wrote and has not deleted, by run id. */
    private final Map<String, Entry> active = new HashMap<>();
    /** Leftovers of an earlier process whose {@code run-finished} this one sent, until the broker acknowledges it. */
    private final Map<String, Entry> reported = new HashMap<>();
    private boolean closed;
    private ScheduledExecutorService tracker;

    public RunJournal(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Records a run that was just created (before it trains); a write that fails is logged, never fails the run. */
    public synchronized void started(String runId, String studyId, String trialId, Instant createdAt) {
        if (closed) {
            return;
        }
        Entry e = new Entry(runId, studyId, trialId, createdAt, -1);
        active.put(runId, e);
        reported.remove(runId); // its file is the new run's now
        write(e);
    }

    /** Records the last step done of a run still in the journal; nothing when it is unchanged or already gone. */
    public synchronized void progress(String runId, long step) {
        Entry e = active.get(runId);
        if (closed || e == null || step <= e.step()) {
            return;
        }
        Entry next = e.withStep(step);
        active.put(runId, next);
        write(next);
    }

    /**
     * Records the {@code run-finished} of a run of this process, before it is published: from now on a restart sends
     * this very event again (not an interruption) unless the broker acknowledges it first. Called on the run's
     * training thread, once, at its end.
     */
    public synchronized void ended(RunFinished finished) {
        Entry e = active.get(finished.runId());
        if (closed || e == null) {
            return;
        }
        Entry next = e.withFinished(finished);
        active.put(finished.runId(), next);
        write(next);
    }

    /**
     * Records the {@code run-finished} sent for a leftover of an earlier process (unless the entry holds it already),
     * so that a restart before the broker's acknowledgement sends the same event again.
     */
    public synchronized void reported(Entry leftover, RunFinished finished) {
        Entry next = leftover.withFinished(finished);
        reported.put(leftover.runId(), next);
        if (!closed && !finished.equals(leftover.finished())) {
            write(next);
        }
    }

    /**
     * The broker has acknowledged a {@code run-finished}: the run's entry (of this process, or a leftover it
     * reported) is deleted, unless the entry is of a later run under the same id. Called on the producer's thread.
     */
    public synchronized void acknowledged(RunFinished finished) {
        String runId = finished.runId();
        Entry e = active.get(runId);
        Map<String, Entry> owner = active;
        if (e == null) {
            e = reported.get(runId);
            owner = reported;
        }
        if (e == null || finished.timestamp().isBefore(e.createdAt())) {
            return;
        }
        owner.remove(runId);
        delete(runId);
    }

    /** The run ids whose {@code run-finished} the journal waits to see acknowledged (of this process or leftovers). */
    public synchronized List<String> unacknowledged() {
        List<String> ids = new ArrayList<>(reported.keySet());
        active.values().stream().filter(e -> e.finished() != null).map(Entry::runId).forEach(ids::add);
        return ids;
    }

    /** Takes a run out of the journal that never started and never will (its start was refused). */
    public synchronized void finished(String runId) {
        if (closed) {
            return;
        }
        active.remove(runId);
        delete(runId);
    }

    /** The ids of the runs this process has in the journal now. */
    public synchronized List<String> activeRunIds() {
        return List.copyOf(active.keySet());
    }

    /**
     * Every {@code every}, records the last step of each run in the journal ({@link #progress}) from
     * {@code steps} (run id to last step done, -1 when none), on a thread of its own: the training threads never
     * write the journal.
     */
    public synchronized void trackProgress(Supplier<Map<String, Long>> steps, java.time.Duration every) {
        if (closed || tracker != null) {
            return;
        }
        tracker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trainer-run-journal");
            t.setDaemon(true);
            return t;
        });
        tracker.scheduleWithFixedDelay(() -> {
            try {
                steps.get().forEach(this::progress);
            } catch (RuntimeException e) {
                LOG.debugf("run journal progress: %s", e.toString());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops every change: from now on the files stay as they are. */
    public synchronized void close() {
        closed = true;
        if (tracker != null) {
            tracker.shutdownNow();
        }
    }

    /**
     * The runs left in the folder by an earlier process, oldest first (the ones this process wrote are not
     * among them). Unreadable files are renamed to {@code *.corrupt} and skipped.
     */
    public synchronized List<Entry> leftovers() {
        List<Entry> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                Entry e = read(f);
                if (e == null) {
                    setAside(f);
                } else if (!active.containsKey(e.runId()) && !reported.containsKey(e.runId())) {
                    found.add(e);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot list the run journal %s: %s", dir, e.toString());
        }
        found.sort(Comparator.comparing(Entry::createdAt));
        return found;
    }

    /** Deletes a leftover that cannot be dealt with (it names no valid run). */
    public synchronized void forget(Entry leftover) {
        if (!active.containsKey(leftover.runId())) {
            reported.remove(leftover.runId());
            delete(leftover.runId());
        }
    }

    private Entry read(Path f) {
        try {
            JsonNode n = JSON.readTree(f.toFile());
            String runId = n == null ? null : n.path("runId").asText(null);
            String expected = fileName(runId == null ? "" : runId);
            if (runId == null || runId.isBlank() || !f.getFileName().toString().equals(expected)) {
                LOG.warnf("run journal file %s names no run (or another run): skipped", f);
                return null;
            }
            Instant created = Instant.parse(n.path("createdAt").asText());
            return new Entry(runId, text(n, "studyId"), text(n, "trialId"), created, n.path("step").asLong(-1),
                    finished(f, runId, n.get("finished")));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("run journal file %s cannot be read: %s; skipped", f, e.toString());
            return null;
        }
    }

    /** The recorded run-finished of an entry; null when there is none or it is not a valid one of this run. */
    private static RunFinished finished(Path f, String runId, JsonNode n) throws IOException {
        if (n == null || n.isNull()) {
            return null;
        }
        ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(JSON.writeValueAsBytes(n));
        if (read.value() instanceof RunFinished rf && rf.runId().equals(runId)) {
            return rf;
        }
        LOG.warnf("run journal file %s holds no valid run-finished of its run (%s): the run is reported interrupted",
                f, read.error());
        return null;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private void write(Entry e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("runId", e.runId());
        n.put("studyId", e.studyId());
        n.put("trialId", e.trialId());
        n.put("createdAt", e.createdAt().toString());
        n.put("step", e.step());
        Path target = dir.resolve(fileName(e.runId()));
        try {
            if (e.finished() != null) {
                n.set("finished", JSON.readTree(EventCodec.write(e.finished())));
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".run-", ".tmp");
            try {
                Files.write(tmp, JSON.writeValueAsBytes(n));
                move(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException ex) {
            LOG.warnf("cannot write run journal entry %s: %s (a restart would not report this run)", target,
                    ex.toString());
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void delete(String runId) {
        Path f = dir.resolve(fileName(runId));
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warnf("cannot delete run journal entry %s: %s", f, e.toString());
        }
    }

    private void setAside(Path f) {
        try {
            move(f, f.resolveSibling(f.getFileName() + ".corrupt"));
        } catch (IOException e) {
            LOG.warnf("cannot set aside %s: %s", f, e.toString());
        }
    }

    /** The file of a run: its id URL-encoded (letters, digits, {@code . - * _ %}), so two ids never share one. */
    static String fileName(String runId) {
        return URLEncoder.encode(runId, StandardCharsets.UTF_8) + SUFFIX;
    }
}
