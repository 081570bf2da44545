package io.trainwatch.client;

import io.trainwatch.events.TunerCommand;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Logger;

/**
 * The commands waiting for one run's training thread. Any thread may {@link #offer} (the command consumer, a
 * REST stop); the training thread takes them with {@link #poll} at a step boundary, the only place where DL4J
 * tolerates a learning-rate change. A command written more than {@link #STALE_TOLERANCE} before the run was
 * created is stale (written for an earlier run of the same id) and refused; a suggestion goes to the
 * {@link SuggestionListener} and is never queued; a command id already taken is skipped (the last
 * {@code remembered} ids are kept).
 */
public final class CommandInbox {

    private static final Logger LOG = Logger.getLogger(CommandInbox.class.getName());

    /** Commands older than the run by more than this are stale. */
    public static final Duration STALE_TOLERANCE = Duration.ofSeconds(30);
    /** How many taken command ids are remembered per run by default. */
    public static final int DEFAULT_REMEMBERED = 1024;

    private final String runId;
    private final Instant createdAt;
    private final int remembered;
    private final SuggestionListener suggestions;
    private final ConcurrentLinkedQueue<TunerCommand> queue = new ConcurrentLinkedQueue<>();
    /** Ids already taken (training thread only). */
    private final LinkedHashSet<String> taken = new LinkedHashSet<>();
    private volatile boolean closed;

    /**
     * @param createdAt   when the run was created: commands written well before it are stale
     * @param remembered  how many taken command ids are kept to recognise duplicates
     * @param suggestions where suggestions go (null: {@link SuggestionListener#LOG})
     */
    public CommandInbox(String runId, Instant createdAt, int remembered, SuggestionListener suggestions) {
        this.runId = runId;
        this.createdAt = createdAt;
        this.remembered = Math.max(1, remembered);
        this.suggestions = suggestions == null ? SuggestionListener.LOG : suggestions;
    }

    public String runId() {
        return runId;
    }

    public Instant createdAt() {
        return createdAt;
    }

    /**
     * Queues a command for the training thread; false (and nothing queued) when the inbox is closed, the
     * command is stale, is a suggestion (handed to the suggestion listener) or names another run.
     */
    public boolean offer(TunerCommand command) {
        if (closed || !runId.equals(command.runId())) {
            return false;
        }
        if (command.timestamp() != null && command.timestamp().isBefore(createdAt.minus(STALE_TOLERANCE))) {
            LOG.info(() -> "ignoring stale command " + command.commandId() + " for run " + runId + " (written at "
                    + command.timestamp() + ", before the run started at " + createdAt + ")");
            return false;
        }
        if (command.isSuggestion()) {
            try {
                suggestions.onSuggestion(command);
            } catch (RuntimeException e) {
                LOG.warning("the suggestion listener failed: " + e);
            }
            return false;
        }
        queue.add(command);
        return true;
    }

    /** The next command to apply, or null; a command whose id was taken already is skipped. Training thread only. */
    public TunerCommand poll() {
        TunerCommand c;
        while ((c = queue.poll()) != null) {
            if (!taken.add(c.commandId())) {
                String id = c.commandId();
                LOG.info(() -> "command " + id + " for run " + runId + " was applied already: ignored");
                continue;
            }
            if (taken.size() > remembered) {
                Iterator<String> it = taken.iterator();
                it.next();
                it.remove();
            }
            return c;
        }
        return null;
    }

    /** Whether a command may be waiting (cheap; for a step-boundary check). */
    public boolean hasPending() {
        return !queue.isEmpty();
    }

    /** Refuses every later command (the run has finished). */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }
}
