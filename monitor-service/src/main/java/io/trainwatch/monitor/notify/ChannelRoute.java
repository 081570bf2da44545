package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which alerts a channel receives, as an Alertmanager route matches: a least severity, a set of detectors
 * (empty: all) and anchored regexes on runId and studyId (null: all).
 */
public record ChannelRoute(Severity minSeverity, Set<String> detectors, Pattern runs, Pattern studies) {

    /** Every alert. */
    public static final ChannelRoute ALL = new ChannelRoute(Severity.INFO, Set.of(), null, null);

    public ChannelRoute {
        minSeverity = minSeverity == null ? Severity.INFO : minSeverity;
        detectors = detectors == null ? Set.of() : Set.copyOf(detectors);
    }

    public boolean matches(Alert alert) {
        if (Severity.of(alert).compareTo(minSeverity) < 0) {
            return false;
        }
        if (!detectors.isEmpty() && !detectors.contains(alert.detector())) {
            return false;
        }
        if (runs != null && !runs.matcher(alert.runId()).matches()) {
            return false;
        }
        return studies == null || (alert.studyId() != null && studies.matcher(alert.studyId()).matches());
    }

    @Override
    public String toString() {
        return "severity>=" + minSeverity.id() + (detectors.isEmpty() ? "" : " detectors=" + detectors)
                + (runs == null ? "" : " runs=/" + runs + "/") + (studies == null ? "" : " studies=/" + studies + "/");
    }
}
