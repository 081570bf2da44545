package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the tuner knows of one trial: its sampled point, status, best validation value (and where),
 * learning-rate history under the plateau policy, commands in flight, and its decisions. Mutated only by
 * the study engine; serialised field by field into the study document.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TrialState {

    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String STOPPING = "stopping";
    public static final String COMPLETED = "completed";
    public static final String STOPPED = "stopped";
    public static final String DIVERGED = "diverged";
    public static final String FAILED = "failed";
    public static final String LOST = "lost";
    public static final List<String> STATUSES = List.of(QUEUED, RUNNING, STOPPING, COMPLETED, STOPPED, DIVERGED,
            FAILED, LOST);
    public static final Set<String> ACTIVE = Set.of(QUEUED, RUNNING, STOPPING);

    /** How many alert ids a trial remembers for de-duplication. */
    static final int SEEN_ALERTS = 64;

    public String trialId;
    public String runId;
    public int index;
    public int round;
    public String origin;
    public String remedyOf;
    /** The point in search names (e.g. hiddenUnits), as sampled. */
    public Map<String, Object> params = new LinkedHashMap<>();
    public long maxSteps;
    public long seed;
    public String status = QUEUED;
    public Instant createdAt;
    public Instant startedAt;
    public Instant finishedAt;
    public Instant lastEventAt;
    public long lastStep = -1;
    public Double best;
    public Long bestStep;
    public Integer bestEpoch;
    public Double lastValue;
    public Double learningRate;
    public Double previousLearningRate;
    public int decays;
    public int decaysWithoutImprovement;
    public Double bestAtLastDecay;
    public Long lastDecayStep;
    public double waitMultiplier = 1.0;
    public boolean raisedBack;
    /** Validations seen (finite objective values), for the plateau policy's "still improving" check. */
    public int validations;
    /** The objective's best, raised only by more than the policy's validation min-delta (as Keras tracks it). */
    public Double deltaBest;
    /** The number ({@link #validations}) of the last validation that raised {@link #deltaBest}; 0 when none did. */
    public int lastImprovingValidation;
    /** A plateau alert deferred while the validation objective improved: reconsidered at the next validation. */
    public String deferredPlateauAlertId;
    public Long deferredPlateauStep;
    public Double deferredPlateauRate;
    /** A per-run limit on learning-rate decays (a steered run's {@code control.maxDecays}); null: none. */
    public Integer maxDecays;
    /** A per-run floor of the learning rate (a steered run's {@code control.minLearningRate}); null: the policy's. */
    public Double minLearningRate;
    public String stopReason;
    public String stopDetector;
    public String finishStatus;
    /** The trainer's reason in {@code run-finished}, if any. */
    public String finishReason;
    public List<PendingCommand> pending = new ArrayList<>();
    public List<Decision> decisions = new ArrayList<>();
    public List<String> seenAlerts = new ArrayList<>();

    @JsonIgnore
    public boolean isPreflight() {
        return io.trainwatch.events.Trial.PREFLIGHT.equals(origin);
    }

    @JsonIgnore
    public boolean isActive() {
        return ACTIVE.contains(status);
    }

    /** Remembers an alert key; false when it was seen already (a replay or a duplicate). */
    public boolean firstSight(String key) {
        if (seenAlerts.contains(key)) {
            return false;
        }
        seenAlerts.add(key);
        while (seenAlerts.size() > SEEN_ALERTS) {
            seenAlerts.remove(0);
        }
        return true;
    }

    public void addDecision(Decision d, int max) {
        decisions.add(d);
        while (decisions.size() > max) {
            decisions.remove(0);
        }
    }
}
