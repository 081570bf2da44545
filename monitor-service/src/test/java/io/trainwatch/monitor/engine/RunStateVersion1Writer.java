package io.trainwatch.monitor.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The state codec's writer as it was at layout version 1 (per-detector episodes and active bits by position in
 * the contract's detector order of the time), kept verbatim so that tests can check that such bytes still restore.
 */
final class RunStateVersion1Writer {

    private RunStateVersion1Writer() {
    }

    /** The bytes of a state. */
    static byte[] write(RunState s) {
        Writer out = new Writer();
                out.writeByte(1);
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
        out.writeInt(s.activeMask);
        for (float g : s.gradientWindow) {
            out.writeFloat(g);
        }
        for (int i = 0; i < 8; i++) {
            out.writeLong(s.episodeStart[i]);
            out.writeByte(s.episodeSeverity[i]);
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
}
