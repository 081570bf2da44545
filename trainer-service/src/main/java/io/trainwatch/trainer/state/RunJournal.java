package io.trainwatch.trainer.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * written when the run is created, rewritten now and then with the last step done, deleted once the run has
 * published its {@code run-finished}. Every write goes to a temporary file first and is then renamed over the
 * old one, so a reader sees the old entry or the new one, never half of one. Whatever is left in the folder when
 * the trainer starts are runs that a dead trainer never finished ({@link #leftovers()}); a file that cannot be
 * read is skipped and renamed to {@code *.corrupt}, so that one bad file never holds the others up.
 *
 * <p>After {@link #close()} (the trainer is shutting down) the journal no longer changes: a run that ends after
 * that stays in it, because its {@code run-finished} may not have reached the broker.
 */
public final class RunJournal {

    private static final Logger LOG = Logger.getLogger(RunJournal.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUFFIX = ".json";

    /** One run in progress; {@code step} is the last step done, or -1 when none is known. */
    public record Entry(String runId, String studyId, String trialId, Instant createdAt, long step) {

        Entry withStep(long s) {
            return new Entry(runId, studyId, trialId, createdAt, s);
        }
    }

    private final Path dir;
    /** The entries this process wrote and has not deleted, by run id. */
    private final Map<String, Entry> active = new HashMap<>();
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

    /** Takes a run out of the journal: it has finished and said so (or it never started and never will). */
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
                } else if (!active.containsKey(e.runId())) {
                    found.add(e);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot list the run journal %s: %s", dir, e.toString());
        }
        found.sort(Comparator.comparing(Entry::createdAt));
        return found;
    }

    /** Deletes a leftover once it has been dealt with. */
    public synchronized void forget(Entry leftover) {
        if (!active.containsKey(leftover.runId())) {
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
            return new Entry(runId, text(n, "studyId"), text(n, "trialId"), created, n.path("step").asLong(-1));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("run journal file %s cannot be read: %s; skipped", f, e.toString());
            return null;
        }
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
