package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Where a trial (or a steered run) stands. {@link #id()} is the string in the study documents of the studies
 * topic, the REST views and the metrics' tags; it never changes, so that documents written earlier are still
 * read. {@code queued -> running -> [stopping ->] completed | stopped | diverged | failed | lost}.
 */
public enum TrialStatus {
    QUEUED("queued"),
    RUNNING("running"),
    STOPPING("stopping"),
    COMPLETED("completed"),
    STOPPED("stopped"),
    DIVERGED("diverged"),
    FAILED("failed"),
    LOST("lost");

    /** The statuses of a trial that still runs (or may). */
    public static final Set<TrialStatus> ACTIVE = EnumSet.of(QUEUED, RUNNING, STOPPING);

    private final String id;

    TrialStatus(String id) {
        this.id = id;
    }

    /** The status as written in documents and views, e.g. {@code running}. */
    @JsonValue
    public String id() {
        return id;
    }

    public boolean isActive() {
        return ACTIVE.contains(this);
    }

    /** The status a document names; unknown names are refused (the document is skipped as unreadable). */
    @JsonCreator
    public static TrialStatus fromId(String id) {
        for (TrialStatus s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown trial status '" + id + "'; known: " + ids());
    }

    /** Every id, in lifecycle order. */
    public static List<String> ids() {
        return Arrays.stream(values()).map(TrialStatus::id).toList();
    }

    @Override
    public String toString() {
        return id;
    }
}
