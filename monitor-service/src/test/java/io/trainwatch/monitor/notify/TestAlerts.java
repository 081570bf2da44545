package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/** Alerts and a settable clock for the notifier's tests. */
final class TestAlerts {

    static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    private TestAlerts() {
    }

    static Alert firing(String run, String detector, String severity, long episodeStart) {
        Map<String, Double> evidence = new LinkedHashMap<>();
        evidence.put("loss", Double.NaN);
        evidence.put("start_loss", 2.302585);
        return new Alert(Contract.SCHEMA_VERSION, Alert.fingerprint(run, detector, episodeStart), Alert.FIRING, run,
                null, null, detector, severity, episodeStart, 1, T0, detector + " detected at step " + episodeStart,
                evidence, "Lower the learning rate by 10x and restart from the last checkpoint.", Alert.ACTION_DECAY_LR);
    }

    static Alert firing(String run, String detector, long episodeStart) {
        return firing(run, detector, Alert.WARNING, episodeStart);
    }

    static Alert resolved(Alert a) {
        return a.resolve(a.step() + 100, a.epoch(), a.timestamp().plusSeconds(60), "cleared", Map.of("loss", 0.5));
    }

    static Alert withStudy(Alert a, String study, String trial) {
        return new Alert(a.schemaVersion(), a.alertId(), a.status(), a.runId(), study, trial, a.detector(), a.severity(),
                a.step(), a.epoch(), a.timestamp(), a.summary(), a.evidence(), a.remedy(), a.suggestedAction());
    }

    static Alert withText(Alert a, String summary, String remedy) {
        return new Alert(a.schemaVersion(), a.alertId(), a.status(), a.runId(), a.studyId(), a.trialId(), a.detector(),
                a.severity(), a.step(), a.epoch(), a.timestamp(), summary, a.evidence(), remedy, a.suggestedAction());
    }

    /** A clock that moves only when told to. */
    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
