package io.trainwatch.monitor.engine;

import io.trainwatch.events.DetectorName;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The compact binary form of a {@link RunState} for the changelogged state store: a version byte,
 * then every field in a fixed order (doubles as 8 bytes, the gradient window as floats). About 700
 * bytes per run, whatever its length; bytes it cannot read give an empty state rather than an exception.
 *
 * <p>Per-detector data (alert episodes) is keyed by {@link DetectorName#code()}, never by a position in a
 * list: version 2 writes a count, then for each detector its code, episode start, severity and whether it is
 * active; codes it does not know are skipped. Version 1, which wrote the episodes and the active bits in the
 * order of {@link #VERSION_1_ORDER}, is still read.
 */
public final class RunStateCodec {

    /** The layout written; bumped when it changes. */
    public static final byte VERSION = 2;
    /** The layout before per-detector data was keyed by code: read, never written. */
    static final byte VERSION_1 = 1;
    /** The detectors in the order version 1 wrote them (the contract's order when it was written). */
    static final List<DetectorName> VERSION_1_ORDER = List.of(DetectorName.VANISHING_GRADIENTS,
            DetectorName.EXPLODING_GRADIENTS, DetectorName.DIVERGENCE, DetectorName.PLATEAU,
            DetectorName.LR_DECAYED_TOO_EARLY, DetectorName.OVERFITTING, DetectorName.UNDERFITTING,
            DetectorName.BAD_INITIALIZATION);
    /** Bytes after a detector's code: episode start (long), severity (byte), active (byte). */
    private static final int DETECTOR_FIELDS_BYTES = Long.BYTES + 2;

    private static final ThreadLocal<Writer> WRITERS = ThreadLocal.withInitial(Writer::new);

    private RunStateCodec() {
    }

    /** The bytes of a state. */
    public static byte[] write(RunState s) {
        Writer out = WRITERS.get();
        out.reset();
        out.writeByte(VERSION);
        out.writeString(s.runId);
        out.writeString(s.studyId);
        out.writeString(s.trialId);
        out.writeString(s.scenario);
        out.writeByte(s.status);
        out.writeLong(s.firstRecordMillis);
        out.writeLong(s.lastRecordMillis);
        out.writeLong(s.lastStep);
        out.writeInt(s.lastEpoch);
        out.writeLong(s.lastValidationStep);
        out.writeLong(s.epochStartStep);
        out.writeLong(s.stepsPerEpoch);
        out.writeLong(s.steps);
        out.writeLong(s.validations);
        out.writeLong(s.ignored);
        out.writeDouble(s.chanceLoss);
        out.writeByte(s.crossEntropy ? 1 : 0);
        out.writeDouble(s.loss);
        out.writeDouble(s.accuracy);
        out.writeDouble(s.learningRate);
        out.writeDouble(s.gradientNorm);
        out.writeDouble(s.validationLoss);
        out.writeDouble(s.validationAccuracy);
        out.writeDouble(s.trainAccuracy);
        out.writeDouble(s.trainLoss);
        out.writeDouble(s.firstLoss);
        out.writeInt(s.startCount);
        out.writeDouble(s.startSum);
        out.writeDouble(s.startLoss);
        out.writeDouble(s.ema);
        out.writeDouble(s.lossVariance);
        out.writeDouble(s.bestEma);
        out.writeLong(s.bestStep);
        out.writeDouble(s.minEma);
        out.writeInt(s.nonFiniteLossRun);
        out.writeDouble(s.previousLr);
        out.writeLong(s.lrDropStep);
        out.writeDouble(s.lrBeforeDrop);
        out.writeDouble(s.emaLogRatio);
        out.writeDouble(s.emaLogFirst);
        out.writeDouble(s.emaLogUpdateFirst);
        out.writeDouble(s.emaLogUpdateLast);
        out.writeInt(s.vanishingHold);
        out.writeInt(s.vanishingClear);
        out.writeInt(s.gradientCount);
        out.writeInt(s.spikeRun);
        out.writeInt(s.nonFiniteGradientRun);
        out.writeDouble(s.emaLogLayerRatio);
        out.writeInt(s.layerRatioHold);
        out.writeInt(s.explodingClear);
        out.writeInt(s.divergenceHold);
        out.writeInt(s.divergenceClear);
        out.writeInt(s.pinnedRun);
        out.writeInt(s.deadGradientRun);
        out.writeByte(s.flatPhase ? 1 : 0);
        out.writeLong(s.flatEndStep);
        out.writeByte(s.flatThenDrop ? 1 : 0);
        out.writeDouble(s.minValidationLoss);
        out.writeLong(s.minValidationStep);
        out.writeDouble(s.trainLossAtMinValidation);
        out.writeInt(s.validationRiseRun);
        out.writeInt(s.gapRun);
        out.writeDouble(s.gapAtStreakStart);
        out.writeDouble(s.validationAccuracyAtStreakStart);
        out.writeDouble(s.lastGap);
        out.writeInt(s.gapGrowingRun);
        out.writeInt(s.lowAccuracyRun);
        for (float g : s.gradientWindow) {
            out.writeFloat(g);
        }
        DetectorName[] detectors = DetectorName.values();
        out.writeByte(detectors.length);
        for (DetectorName d : detectors) {
            int i = RunState.index(d);
            out.writeByte(d.code());
            out.writeLong(s.episodeStart[i]);
            out.writeByte(s.episodeSeverity[i]);
            out.writeByte(s.active(i) ? 1 : 0);
        }
        out.writeLong(s.lastPlateauStep);
        out.writeDouble(s.lastValidationLoss);
        out.writeDouble(s.previousValidationLoss);
        out.writeDouble(s.validationNoise);
        out.writeByte(s.hiddenGradientsSeen ? 1 : 0);
        out.writeInt(s.deadHiddenRun);
        out.writeLong(s.plateauFromStep);
        out.writeDouble(s.firstGradientNorm);
        out.writeDouble(s.earlyGradientScale);
        out.writeLong(s.explosionStep);
        out.writeDouble(s.explosionGradientNorm);
        out.writeDouble(s.riseStartValidationLoss);
        out.writeDouble(s.riseStartTrainLoss);
        out.writeLong(s.lastDecayStep);
        out.writeByte(s.rangeTest ? 1 : 0);
        out.writeDouble(s.emaLogUpdateSlow);
        out.writeDouble(s.l2);
        out.writeDouble(s.lastValidationAccuracy);
        out.writeDouble(s.validationAccuracySwing);
        return out.toByteArray();
    }

    /** The state in {@code bytes}, or null when they are not a state of a version this codec reads. */
    public static RunState read(byte[] bytes) {
        if (bytes == null || bytes.length < 2 || (bytes[0] != VERSION && bytes[0] != VERSION_1)) {
            return null;
        }
        boolean version1 = bytes[0] == VERSION_1;
        try {
            Reader in = new Reader(ByteBuffer.wrap(bytes, 1, bytes.length - 1));
            RunState s = new RunState(in.readString());
        s.studyId = in.readString();
        s.trialId = in.readString();
        s.scenario = in.readString();
        s.status = in.readByte();
        s.firstRecordMillis = in.readLong();
        s.lastRecordMillis = in.readLong();
        s.lastStep = in.readLong();
        s.lastEpoch = in.readInt();
        s.lastValidationStep = in.readLong();
        s.epochStartStep = in.readLong();
        s.stepsPerEpoch = in.readLong();
        s.steps = in.readLong();
        s.validations = in.readLong();
        s.ignored = in.readLong();
        s.chanceLoss = in.readDouble();
        s.crossEntropy = in.readByte() != 0;
        s.loss = in.readDouble();
        s.accuracy = in.readDouble();
        s.learningRate = in.readDouble();
        s.gradientNorm = in.readDouble();
        s.validationLoss = in.readDouble();
        s.validationAccuracy = in.readDouble();
        s.trainAccuracy = in.readDouble();
        s.trainLoss = in.readDouble();
        s.firstLoss = in.readDouble();
        s.startCount = in.readInt();
        s.startSum = in.readDouble();
        s.startLoss = in.readDouble();
        s.ema = in.readDouble();
        s.lossVariance = in.readDouble();
        s.bestEma = in.readDouble();
        s.bestStep = in.readLong();
        s.minEma = in.readDouble();
        s.nonFiniteLossRun = in.readInt();
        s.previousLr = in.readDouble();
        s.lrDropStep = in.readLong();
        s.lrBeforeDrop = in.readDouble();
        s.emaLogRatio = in.readDouble();
        s.emaLogFirst = in.readDouble();
        s.emaLogUpdateFirst = in.readDouble();
        s.emaLogUpdateLast = in.readDouble();
        s.vanishingHold = in.readInt();
        s.vanishingClear = in.readInt();
        s.gradientCount = in.readInt();
        s.spikeRun = in.readInt();
        s.nonFiniteGradientRun = in.readInt();
        s.emaLogLayerRatio = in.readDouble();
        s.layerRatioHold = in.readInt();
        s.explodingClear = in.readInt();
        s.divergenceHold = in.readInt();
        s.divergenceClear = in.readInt();
        s.pinnedRun = in.readInt();
        s.deadGradientRun = in.readInt();
        s.flatPhase = in.readByte() != 0;
        s.flatEndStep = in.readLong();
        s.flatThenDrop = in.readByte() != 0;
        s.minValidationLoss = in.readDouble();
        s.minValidationStep = in.readLong();
        s.trainLossAtMinValidation = in.readDouble();
        s.validationRiseRun = in.readInt();
        s.gapRun = in.readInt();
        s.gapAtStreakStart = in.readDouble();
        s.validationAccuracyAtStreakStart = in.readDouble();
        s.lastGap = in.readDouble();
        s.gapGrowingRun = in.readInt();
        s.lowAccuracyRun = in.readInt();
            int version1Mask = version1 ? in.readInt() : 0;
            for (int i = 0; i < RunState.GRADIENT_WINDOW; i++) {
                s.gradientWindow[i] = in.readFloat();
            }
            if (version1) {
                readVersion1Detectors(in, s, version1Mask);
            } else {
                readDetectors(in, s);
            }
            // Appended later: a state written before it has none (no plateau remembered).
            s.lastPlateauStep = in.remains(Long.BYTES) ? in.readLong() : -1;
            if (in.remains(3 * Double.BYTES)) { // appended later: the validation loss's noise
                s.lastValidationLoss = in.readDouble();
                s.previousValidationLoss = in.readDouble();
                s.validationNoise = in.readDouble();
            }
            if (in.remains(1 + Integer.BYTES)) { // appended later: dead hidden layers
                s.hiddenGradientsSeen = in.readByte() != 0;
                s.deadHiddenRun = in.readInt();
            }
            // appended later: the plateau's count restarted by a decay (absent: from the last progress)
            s.plateauFromStep = in.remains(Long.BYTES) ? in.readLong() : s.bestStep;
            if (in.remains(7 * Double.BYTES + 2 * Long.BYTES + 1)) { // appended later: early explosions, range tests
                s.firstGradientNorm = in.readDouble();
                s.earlyGradientScale = in.readDouble();
                s.explosionStep = in.readLong();
                s.explosionGradientNorm = in.readDouble();
                s.riseStartValidationLoss = in.readDouble();
                s.riseStartTrainLoss = in.readDouble();
                s.lastDecayStep = in.readLong();
                s.rangeTest = in.readByte() != 0;
                s.emaLogUpdateSlow = in.readDouble();
                s.l2 = in.readDouble();
            }
            if (in.remains(2 * Double.BYTES)) { // appended later: the validation accuracy's swing
                s.lastValidationAccuracy = in.readDouble();
                s.validationAccuracySwing = in.readDouble();
            }
            return s.runId == null ? null : s;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Version 2: a count, then (code, episode start, severity, active) per detector; unknown codes skipped. */
    private static void readDetectors(Reader in, RunState s) {
        int count = Byte.toUnsignedInt(in.readByte());
        for (int k = 0; k < count; k++) {
            int code = Byte.toUnsignedInt(in.readByte());
            DetectorName d = DetectorName.fromCode(code).orElse(null);
            if (d == null) {
                in.skip(DETECTOR_FIELDS_BYTES);
                continue;
            }
            int i = RunState.index(d);
            s.episodeStart[i] = in.readLong();
            s.episodeSeverity[i] = in.readByte();
            s.setActive(i, in.readByte() != 0);
        }
    }

    /** Version 1: the active bits and the episodes by position in {@link #VERSION_1_ORDER}. */
    private static void readVersion1Detectors(Reader in, RunState s, int mask) {
        for (int position = 0; position < VERSION_1_ORDER.size(); position++) {
            int i = RunState.index(VERSION_1_ORDER.get(position));
            s.episodeStart[i] = in.readLong();
            s.episodeSeverity[i] = in.readByte();
            s.setActive(i, (mask & (1 << position)) != 0);
        }
    }

    private static final class Writer {
        private byte[] buf = new byte[1024];
        private int pos;

        void reset() {
            pos = 0;
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void writeByte(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        void writeInt(int v) {
            ensure(4);
            for (int i = 3; i >= 0; i--) {
                buf[pos++] = (byte) (v >>> (i * 8));
            }
        }

        void writeLong(long v) {
            ensure(8);
            for (int i = 7; i >= 0; i--) {
                buf[pos++] = (byte) (v >>> (i * 8));
            }
        }

        void writeDouble(double v) {
            writeLong(Double.doubleToRawLongBits(v));
        }

        void writeFloat(float v) {
            writeInt(Float.floatToRawIntBits(v));
        }

        void writeString(String v) {
            if (v == null) {
                writeInt(-1);
                return;
            }
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            writeInt(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, pos);
        }
    }

    private record Reader(ByteBuffer in) {
        byte readByte() {
            return in.get();
        }

        int readInt() {
            return in.getInt();
        }

        long readLong() {
            return in.getLong();
        }

        double readDouble() {
            return in.getDouble();
        }

        float readFloat() {
            return in.getFloat();
        }

        void skip(int n) {
            if (n > in.remaining()) {
                throw new BufferUnderflowException();
            }
            in.position(in.position() + n);
        }

        boolean remains(int n) {
            return in.remaining() >= n;
        }

        String readString() {
            int n = in.getInt();
            if (n < 0) {
                return null;
            }
            if (n > in.remaining()) {
                throw new IllegalArgumentException("string longer than the state");
            }
            byte[] b = new byte[n];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}
