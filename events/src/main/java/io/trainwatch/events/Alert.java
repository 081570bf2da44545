package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A diagnosis of a run on {@link Topics#TRAINING_ALERTS}: {@code firing} when a detector's condition
 * holds, {@code resolved} when it clears. {@code alertId} is a deterministic fingerprint of run,
 * detector and episode, so replays and restarts never duplicate an alert.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "alertId", "status", "runId", "detector", "severity", "step", "epoch", "timestamp"})
public record Alert(
        int schemaVersion,
        String alertId,
        String status,
        String runId,
        String studyId,
        String trialId,
        String detector,
        String severity,
        long step,
        int epoch,
        Instant timestamp,
        String summary,
        Map<String, Double> evidence,
        String remedy,
        String suggestedAction) {

    public static final String FIRING = "firing";
    public static final String RESOLVED = "resolved";
    public static final Set<String> STATUSES = Set.of(FIRING, RESOLVED);

    public static final String INFO = "info";
    public static final String WARNING = "warning";
    public static final String CRITICAL = "critical";
    public static final Set<String> SEVERITIES = Set.of(INFO, WARNING, CRITICAL);

    /** The ids of the contract's detectors ({@link DetectorName}); events may name others added later. */
    public static final List<String> DETECTORS = DetectorName.ids();

    /** Suggested actions a tuner may take; free text is allowed too. */
    public static final String ACTION_DECAY_LR = "decay-learning-rate";
    public static final String ACTION_RAISE_LR = "raise-learning-rate";
    public static final String ACTION_STOP = "stop";
    public static final String ACTION_NONE = "none";

    public Alert {
        Contract.requireText("alertId", alertId);
        Contract.requireOneOf("status", status, STATUSES);
        Contract.requireRunId(runId);
        Contract.requireText("detector", detector);
        Contract.requireOneOf("severity", severity, SEVERITIES);
        Contract.requireNonNegative("step", step);
        Contract.requireNonNegative("epoch", epoch);
        Contract.requireTimestamp(timestamp);
        Contract.requireText("summary", summary);
        evidence = Contract.orderedCopy(evidence);
    }

    /**
     * The deterministic id of an alert episode: the same run, detector and episode start always give the
     * same id, so a replayed or restarted monitor produces the same alert again rather than a new one.
     */
    public static String fingerprint(String runId, String detector, long episodeStartStep) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((runId + '\u0000' + detector + '\u0000' + episodeStartStep)
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** This alert, resolved at the given step and time, with the same id. */
    public Alert resolve(long atStep, int atEpoch, Instant at, String why, Map<String, Double> latest) {
        return new Alert(schemaVersion, alertId, RESOLVED, runId, studyId, trialId, detector, severity, atStep, atEpoch,
                at, why, latest, remedy, ACTION_NONE);
    }
}
