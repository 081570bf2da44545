package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The labels that put alerts into one group and one message (Alertmanager's {@code group_by}). */
public record GroupBy(Set<Label> labels) {

    /** A grouping label. */
    public enum Label { RUN, STUDY, DETECTOR, SEVERITY }

    /** By run and detector: one message thread per pathology of a run. */
    public static final GroupBy RUN_AND_DETECTOR = new GroupBy(EnumSet.of(Label.RUN, Label.DETECTOR));

    public GroupBy {
        labels = labels.isEmpty() ? EnumSet.noneOf(Label.class) : EnumSet.copyOf(labels);
    }

    /** Parses {@code run,detector}; unknown names are returned in {@code unknown} and ignored. */
    public static GroupBy parse(List<String> names, List<String> unknown) {
        EnumSet<Label> labels = EnumSet.noneOf(Label.class);
        for (String name : names) {
            String n = name.trim().toUpperCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            try {
                labels.add(Label.valueOf(n));
            } catch (IllegalArgumentException e) {
                unknown.add(name);
            }
        }
        return new GroupBy(labels);
    }

    /** The group key of an alert: its grouping labels' values joined by NUL. */
    public String key(Alert a) {
        List<String> parts = new ArrayList<>(4);
        for (Label l : labels) {
            parts.add(switch (l) {
                case RUN -> a.runId();
                case STUDY -> a.studyId() == null ? "" : a.studyId();
                case DETECTOR -> a.detector();
                case SEVERITY -> a.severity();
            });
        }
        return String.join("\u0000", parts);
    }
}
